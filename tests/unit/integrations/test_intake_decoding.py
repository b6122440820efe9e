"""Shared intake helpers: JSON decoding limits, text cleaning, timestamps, severities."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from muster.errors import InvalidInput, TooLarge
from muster.integrations.fields import parse_timestamp, url_problem
from muster.integrations.normalized import (
    MAX_BODY_BYTES,
    check_json,
    clean_text,
    decode_json,
    load_json,
    map_severity,
)


def reason_of(body: bytes) -> str:
    with pytest.raises(InvalidInput) as caught:
        decode_json(body)
    (error,) = caught.value.errors
    assert error.field == "body"
    return error.reason


def test_decodes_plain_json() -> None:
    assert decode_json(b'{"a": [1, 2.5, "x", true, null]}') == {"a": [1, 2.5, "x", True, None]}
    assert decode_json(b'\xef\xbb\xbf{"bom": 1}') == {"bom": 1}


def test_body_over_512_kb_is_too_large() -> None:
    body = json.dumps({"blob": "x" * MAX_BODY_BYTES}).encode()
    with pytest.raises(TooLarge) as caught:
        decode_json(body)
    assert "524288" in caught.value.detail
    exactly = b'"' + b"x" * (MAX_BODY_BYTES - 2) + b'"'
    assert len(decode_json(exactly)) == MAX_BODY_BYTES - 2  # type: ignore[arg-type]


def test_invalid_utf8() -> None:
    assert reason_of(b'{"a": "\xff\xfe"}') == "is not valid UTF-8 (bad byte at offset 7)"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (
            b"{",
            "is not valid JSON: Expecting property name enclosed in double quotes at line 1 "
            "column 2",
        ),
        (
            b"{'a': 1}",
            "is not valid JSON: Expecting property name enclosed in double quotes "
            "at line 1 column 2",
        ),
        (b"[1] [2]", "is not valid JSON: Extra data at line 1 column 5"),
        (b'{"a": NaN}', "is not valid JSON: NaN is not allowed"),
        (b"[-Infinity]", "is not valid JSON: -Infinity is not allowed"),
        (b"1" * 5000, "has a number with too many digits"),
        (b'["\\ud800"]', "has an unpaired surrogate in a string at body[0]"),
    ],
)
def test_malformed_json(body: bytes, reason: str) -> None:
    assert reason_of(body) == reason


def test_surrogate_pairs_are_fine() -> None:
    assert decode_json(b'"\\ud83d\\ude00"') == "\U0001f600"


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_nesting_10000_deep_is_refused_without_recursion_error(opening: bytes) -> None:
    closing = b"]" if opening == b"[" else b"}"
    assert reason_of(opening * 10_000 + closing * 10_000) == "nests deeper than 32 levels"
    assert reason_of(opening * 10_000) == "nests deeper than 32 levels"  # never closed


def test_depth_limit_is_exact_and_ignores_brackets_in_strings() -> None:
    assert decode_json(b"[" * 32 + b"]" * 32) is not None
    assert reason_of(b"[" * 33 + b"]" * 33) == "nests deeper than 32 levels"
    in_string = json.dumps({"text": "[" * 1000 + '{"\\'}).encode()
    assert decode_json(in_string) == {"text": "[" * 1000 + '{"\\'}


def test_hostile_quoting_is_fast() -> None:
    # Each escaped quote could restart a naive string scan: this must stay linear.
    # The trailing brackets force the depth scan; they sit inside the unterminated string.
    body = b"[" * 20 + b'"' + b'\\"' * 200_000 + b"[" * 40
    assert reason_of(body).startswith("is not valid JSON")


def test_check_json_on_decoded_values() -> None:
    assert check_json({"a": [1, {"b": None}]}) == {"a": [1, {"b": None}]}
    deep: list[object] = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(InvalidInput, match="nests deeper than 32 levels"):
        check_json(deep)
    with pytest.raises(InvalidInput, match="non-JSON value of type set"):
        check_json({"a": {1, 2}})
    with pytest.raises(InvalidInput, match=r"NaN or Infinity at body\.x"):
        check_json({"x": float("inf")})
    with pytest.raises(InvalidInput, match="invalid object key"):
        check_json({1: "a"})


def test_nul_characters_are_dropped_everywhere() -> None:
    """PostgreSQL stores no NUL in text or JSONB: a sender's NUL must not fail the insert."""
    body = b'{"k\\u0000ey": ["a\\u0000b", {"\\u0000": "\\u0000"}], "plain": "x"}'
    assert decode_json(body) == {"key": ["ab", {"": ""}], "plain": "x"}
    assert load_json({"a\x00": ["\x00z"]}) == {"a": ["z"]}
    assert decode_json(b'{"escaped": "\\\\u0000"}') == {"escaped": "\\u0000"}  # not a NUL


def test_clean_text() -> None:
    assert clean_text("  a\x00b\x1bc\x7fd\x85e\u202ef\ufeffg\r\nh\ti  ", 100) == "abcdefg\nh\ti"
    assert clean_text("abcdef", 4) == "abc\u2026"
    assert clean_text("abc", 3) == "abc"
    assert clean_text("\ud800x", 5) == "x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05T09:00:00Z", datetime(2026, 1, 5, 9, tzinfo=UTC)),
        ("2026-01-05t09:00:00z", datetime(2026, 1, 5, 9, tzinfo=UTC)),
        ("2026-01-05 09:00:00+01:00", datetime(2026, 1, 5, 8, tzinfo=UTC)),
        ("2026-01-05T09:00:00-0530", datetime(2026, 1, 5, 14, 30, tzinfo=UTC)),
        ("2026-01-05T09:00:00+02", datetime(2026, 1, 5, 7, tzinfo=UTC)),
        ("2026-01-05T09:00Z", datetime(2026, 1, 5, 9, tzinfo=UTC)),
        ("2026-01-05T09:00:00", datetime(2026, 1, 5, 9, tzinfo=UTC)),  # no offset: UTC
        (
            "2026-01-05T09:00:00.123456789Z",
            datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC),
        ),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-01-05",
        "05/01/2026 09:00",
        "2026-02-30T00:00:00Z",
        "2026-01-05T25:00:00Z",
        "2026-01-05T09:00:00+24:00",
        "2026-01-05T09:00:00+01:60",
        "0001-01-01T00:00:00+01:00",
        "1767600000",
    ],
)
def test_parse_timestamp_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not|invalid UTC offset"):
        parse_timestamp(text)


def test_map_severity() -> None:
    assert map_severity("Critical ") == "critical"
    assert map_severity(None) == "warning"
    assert map_severity("??", default="info") == "info"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://a.example/x?y=1", None),
        ("http://10.0.0.1:9090/graph", None),
        ("javascript:alert(1)", "must be an absolute http or https URL"),
        ("/relative/path", "must be an absolute http or https URL"),
        ("https://a.example/with space", "must not contain spaces or control characters"),
        ("http://[::1", "is not a valid URL"),
        ("https://a.example/" + "x" * 3000, "must be at most 2048 characters"),
    ],
)
def test_url_problem(url: str, problem: str | None) -> None:
    assert url_problem(url) == problem
