"""Observable extraction and normalisation (pure): precise on tricky strings, defanged
forms refanged, never raising on arbitrary text, and every value found re-validating
for its kind. Also the shipped ATT&CK list's lookup."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from muster.domain.investigation import attack
from muster.domain.investigation.extract import Found, extract_payload, extract_text
from muster.domain.investigation.kinds import KINDS, normalise


def kinds_of(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for f in extract_text(text):
        found.setdefault(f.kind, set()).add(f.value)
    return found


def test_defanged_url_ip_and_domain_are_refanged() -> None:
    found = kinds_of("beacon to hxxps://evil[.]example[.]com/a?b=1, then 203.0.113[.]7.")
    assert found == {
        "url": {"https://evil.example.com/a?b=1"},
        "domain": {"evil.example.com"},
        "ip": {"203.0.113.7"},
    }


@pytest.mark.parametrize(
    "text",
    [
        "see file.txt and version 1.2.3",
        "e.g. i.e. U.S. Mr.Smith went home.",
        "main.rs notes.md Node.js config.yaml app.log",
        "256.1.1.1 01.02.03.04 1.2.3.4.5 10.0.0",
        "12:30:45 aa:bb:cc:dd:ee:ff std::vector",
        "a uuid 0123456789abcdef0123456789abcdeg and 12345678901234567890123456789012",
    ],
)
def test_no_false_positives_on_ordinary_text(text: str) -> None:
    assert extract_text(text) == []


def test_domains_need_a_known_tld_and_file_like_tlds_three_labels() -> None:
    found = kinds_of("github.io example.it www.wp.pl wp.pl run.sh setup.py www.evil.zip")
    assert found["domain"] == {"github.io", "example.it", "www.wp.pl", "www.evil.zip"}
    assert found["file-name"] == {"run.sh", "setup.py", "www.evil.zip"}


def test_ip_addresses_are_canonical() -> None:
    found = kinds_of("from 2001:DB8:0:0::1 and fe80::1 and 10.0.0.1.")
    assert found["ip"] == {"2001:db8::1", "fe80::1", "10.0.0.1"}


def test_emails_and_hashes_are_lower_case() -> None:
    found = kinds_of(
        "mail from Bob@Example.COM; md5 D41D8CD98F00B204E9800998ECF8427E sha1 "
        "da39a3ee5e6b4b0d3255bfef95601890afd80709 sha256 "
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
    )
    assert found == {
        "email": {"bob@example.com"},
        "hash-md5": {"d41d8cd98f00b204e9800998ecf8427e"},
        "hash-sha1": {"da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        "hash-sha256": {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    }


def test_registry_keys_keep_spaced_parts_but_stop_at_prose() -> None:
    found = kinds_of(
        r"HKLM\Software\Microsoft\Windows NT\CurrentVersion\Run was modified. Dropped "
        r"C:\Users\bob\AppData\evil.exe. Also HKEY_CURRENT_USER\Software\Classes\ms-settings."
    )
    assert found["registry-key"] == {
        r"HKLM\Software\Microsoft\Windows NT\CurrentVersion\Run",
        r"HKEY_CURRENT_USER\Software\Classes\ms-settings",
    }
    assert found["file-name"] == {"evil.exe"}


def test_urls_drop_trailing_punctuation_but_keep_balanced_parentheses() -> None:
    found = kinds_of("(https://a.com/x) and https://en.wikipedia.org/wiki/Foo_(bar).")
    assert found["url"] == {"https://a.com/x", "https://en.wikipedia.org/wiki/Foo_(bar)"}


def test_each_value_once_in_order() -> None:
    assert extract_text("1.2.3.4 then 1.2.3.4 again and 5.6.7.8") == [
        Found("ip", "1.2.3.4"),
        Found("ip", "5.6.7.8"),
    ]


def test_payload_values_and_host_and_user_keys() -> None:
    found = extract_payload(
        "Beacon from web-01",
        {"hostname": "WEB-01", "user": "CORP\\bob", "instance": "10.1.2.3:9100"},
        {"annotations": {"description": "C2 at bad.example.net", "runbook": ["x", {"h": 1}]}},
    )
    assert set(found) == {
        Found("hostname", "web-01"),
        Found("user-account", "CORP\\bob"),
        Found("ip", "10.1.2.3"),
        Found("domain", "bad.example.net"),
    }


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("ip", " 2001:0db8::0001 ", "2001:db8::1"),
        ("ip", "1.2.3[.]4", "1.2.3.4"),
        ("domain", "Example.COM.", "example.com"),
        ("domain", "bücher.de", "xn--bcher-kva.de"),
        ("url", "  hxxp://evil[.]com/Path ", "http://evil.com/Path"),
        ("email", "A.B@Example.org", "a.b@example.org"),
        ("hash-sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
         "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("registry-key", "HKLM\\\\Software\\\\Run\\", "HKLM\\Software\\Run"),
        ("user-account", "CORP\\Bob", "CORP\\Bob"),
    ],
)  # fmt: skip
def test_normalise(kind: str, value: str, stored: str) -> None:
    assert normalise(kind, value) == stored


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("ip", "999.1.1.1"), ("ip", "example.com"), ("domain", "localhost"),
        ("domain", "1.2.3.4"), ("url", "javascript:alert(1)"), ("url", "http://a b.com"),
        ("email", "bob@"), ("hash-md5", "abc"), ("hash-sha256", "z" * 64),
        ("file-name", "C:\\evil.exe"), ("registry-key", "HKXX\\Software"), ("other", "  "),
        ("other", "a\x00b"),
    ],
)  # fmt: skip
def test_normalise_refuses(kind: str, value: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        normalise(kind, value)


_PIECES = st.sampled_from(
    [
        *list("0123456789abcdefABCDEF.:/@[]()\\ -_%\n\t"),
        "hxxp://",
        "http://",
        "[.]",
        ".com",
        ".exe",
        ".pl",
        "HKLM\\",
        "::",
        "\x00",
        "é",
        "\u2028",
    ]
)
_TEXT = st.one_of(st.text(max_size=300), st.lists(_PIECES, max_size=80).map("".join))


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_extraction_never_raises_and_values_revalidate(text: str) -> None:
    for found in extract_text(text):
        assert found.kind in KINDS
        assert normalise(found.kind, found.value) == found.value


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.integers() | _TEXT, lambda c: st.lists(c, max_size=4)
                    | st.dictionaries(st.sampled_from(["host", "user", "x", "labels"]), c,
                                      max_size=4), max_leaves=20))  # fmt: skip
def test_payload_extraction_never_raises(payload: object) -> None:
    for found in extract_payload(payload):
        assert normalise(found.kind, found.value) == found.value


def test_attack_lookup_by_id_and_name() -> None:
    assert attack.technique("t1059") is not None
    found = attack.technique("T1059.001")
    assert found is not None
    assert found.name == "PowerShell"
    assert [t.id for t in attack.search("T1566")] == ["T1566", "T1566.001", "T1566.002",
                                                      "T1566.003"]  # fmt: skip
    assert "T1486" in [t.id for t in attack.search("encrypted for")]
    choice = attack.parse_choice("T1078 Valid Accounts")
    assert choice is not None
    assert set(choice.tactics) >= {"initial-access", "persistence"}
    assert attack.parse_choice("T9999") is None


def test_attack_list_covers_every_tactic() -> None:
    cat = attack.catalogue()
    assert len(cat.tactics) == 14
    top_level = [t for t in cat.techniques.values() if "." not in t.id]
    assert len(top_level) >= 190
    for key in cat.tactics:
        assert any(key in t.tactics for t in top_level), key
    for t in cat.techniques.values():
        assert set(t.tactics) <= set(cat.tactics), t.id
