"""Finding observables in free text and in alert payloads (pure).

Precise rather than greedy: a domain needs a known top-level domain (so ``file.txt`` or
``version 1.2.3`` are not domains; TLDs that are also common file extensions, such as
``.py`` or ``.zip``, count only with three labels or more), a hash needs both digits and
letters, a file name a known executable or document extension. Defanged forms
(``hxxp://``, ``1.2.3[.]4``) are refanged first. Every value found is normalised by
:func:`muster.domain.investigation.kinds.normalise`, so it re-validates for its kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from muster.domain.investigation.kinds import REGISTRY_ROOTS, normalise, refang

MAX_TEXT: Final = 20_000  # characters read from one text
MAX_FOUND: Final = 200  # values from one text or payload
MAX_STRINGS: Final = 500  # strings read from one payload
MAX_DEPTH: Final = 12

_CC = (
    "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo "
    "br bs bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm "
    "do dz ec ee eg er es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs "
    "gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km "
    "kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp "
    "mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk "
    "pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss "
    "st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va "
    "vc ve vg vi vn vu wf ws ye yt za zm zw"
)
_GENERIC = (
    "com net org edu gov mil int info biz name pro mobi asia tel travel jobs aero coop "
    "museum app dev cloud online site xyz top club shop store tech live blog news page link "
    "click website space fun icu vip work ltd group email network digital media agency "
    "solutions services support tools zone today art design studio host onion bank "
    "security google microsoft amazon apple zip mov"
)
KNOWN_TLDS: Final = frozenset((_CC + " " + _GENERIC).split())
# Top-level domains that are also common file extensions: a domain only with 3+ labels.
_FILE_LIKE = "py sh pl md rs ps so ml mm pm tf sv cc mk am zip mov"
FILE_LIKE_TLDS: Final = frozenset(_FILE_LIKE.split())
_EXTENSIONS = (
    "exe dll sys scr bat cmd ps1 psm1 vbs vbe jse wsf hta msi msp lnk jar pif cpl ocx "
    "doc docx docm dot dotm xls xlsx xlsm xlsb ppt pptx pptm pdf rtf iso img vhd vhdx "
    "zip rar 7z gz tgz cab apk dmg pkg deb rpm elf dylib py sh php aspx jsp war"
)
FILE_EXTENSIONS: Final = _EXTENSIONS.split()

_URL = re.compile(
    r"\b(?:https?|ftps?|sftp|wss?)://[^\s<>\"'`{}|\\^\[\]\x00-\x1f\x7f]+", re.IGNORECASE
)
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}(?![\w-])",
    re.ASCII,
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)", re.ASCII)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:(?:[0-9A-Fa-f]{0,4}:){2,6}\d{1,3}(?:\.\d{1,3}){3}"
    r"|(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})(?![\w:.])",
    re.ASCII,
)
_HASH = re.compile(
    r"(?<![\w])(?:[0-9A-Fa-f]{64}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{32})(?![\w])", re.ASCII
)
_DOMAIN = re.compile(
    r"(?<![\w@./\\-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(?![\w-]|\.[A-Za-z0-9])",
    re.ASCII,
)
_PART = r"[^\\\s\"'<>|\x00-\x1f\x7f]+"
_REGISTRY = re.compile(
    r"(?<![\w\\])(?:" + "|".join(REGISTRY_ROOTS) + r")"
    rf"(?:\\+(?:{_PART}(?: {_PART}){{1,3}}(?=\\)|{_PART}))+",
    re.IGNORECASE,
)
_FILE = re.compile(
    r"(?<![\w.-])[A-Za-z0-9_][\w.-]{0,200}\.(?:" + "|".join(FILE_EXTENSIONS) + r")(?![\w-]|\.\w)",
    re.IGNORECASE | re.ASCII,
)
_TRAILING = ".,;:!?'\")]}>"
# Keys of payload values that name a host or an account (Prometheus, SIEM fields).
HOST_KEYS: Final = frozenset(
    {"host", "hostname", "host_name", "computer", "computer_name", "device_name", "nodename"}
)
USER_KEYS: Final = frozenset(
    {"user", "username", "user_name", "account", "account_name", "src_user", "target_user"}
)


@dataclass(frozen=True, slots=True)
class Found:
    kind: str
    value: str


class _Collector:
    def __init__(self) -> None:
        self.found: dict[tuple[str, str], None] = {}

    @property
    def full(self) -> bool:
        return len(self.found) >= MAX_FOUND

    def add(self, kind: str, candidate: str) -> None:
        if self.full:
            return
        try:
            value = normalise(kind, candidate)
        except ValueError:
            return
        self.found.setdefault((kind, value), None)

    def result(self) -> list[Found]:
        return [Found(kind, value) for kind, value in self.found]


def _trim_url(url: str) -> str:
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a balanced parenthesis belongs to the URL (Wikipedia-style)
        url = url[:-1]
    return url


def _domain_ok(domain: str) -> bool:
    labels = domain.lower().split(".")
    tld = labels[-1]
    if tld not in KNOWN_TLDS:
        return False
    return tld not in FILE_LIKE_TLDS or len(labels) >= 3


def _add_host(out: _Collector, host: str) -> None:
    host = host.strip("[]")
    if _IPV4.fullmatch(host) or ":" in host:
        out.add("ip", host)
    elif _domain_ok(host):
        out.add("domain", host)


def _blank(text: str, match: re.Match[str]) -> str:
    start, end = match.span()
    return text[:start] + " " * (end - start) + text[end:]


def _scan(text: str, out: _Collector) -> None:
    text = refang(text[:MAX_TEXT])
    for match in list(_URL.finditer(text)):
        url = _trim_url(match.group())
        out.add("url", url)
        try:
            host = urlsplit(url).hostname
        except ValueError:
            host = None
        if host:
            _add_host(out, host)
        text = _blank(text, match)
    for match in list(_EMAIL.finditer(text)):
        out.add("email", match.group())
        text = _blank(text, match)
    for match in list(_REGISTRY.finditer(text)):
        out.add("registry-key", match.group().rstrip(_TRAILING))
        text = _blank(text, match)
    for match in _IPV4.finditer(text):
        out.add("ip", match.group())
    for match in _IPV6.finditer(text):
        candidate = match.group()
        if any(c in "0123456789abcdefABCDEF" for c in candidate):
            out.add("ip", candidate)
    for match in _HASH.finditer(text):
        value = match.group()
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            out.add({32: "hash-md5", 40: "hash-sha1", 64: "hash-sha256"}[len(value)], value)
    for match in _FILE.finditer(text):
        out.add("file-name", match.group())
    for match in _DOMAIN.finditer(text):
        if _domain_ok(match.group()):
            out.add("domain", match.group())


def extract_text(text: str) -> list[Found]:
    """The observables in ``text``, in order of kind then appearance, each once."""
    out = _Collector()
    _scan(text, out)
    return out.result()


def _strings(value: Any, key: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(v, str(k).lower(), depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, key, depth + 1)


def extract_payload(*values: Any) -> list[Found]:
    """The observables in JSON-like values (an alert's summary, labels, annotations,
    custom details ...): every string is scanned; strings under a host or user key
    (``hostname``, ``user`` ...) are also taken as a host name or an account."""
    out = _Collector()
    for n, (key, text) in enumerate(_strings(list(values), "", 0)):
        if n >= MAX_STRINGS or out.full:
            break
        if key in HOST_KEYS:
            out.add("hostname", text)
        elif key in USER_KEYS:
            out.add("user-account", text)
        _scan(text, out)
    return out.result()
