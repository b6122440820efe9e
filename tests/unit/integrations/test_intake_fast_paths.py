"""The fast paths of intake parsing give exactly what the careful paths give.

Bodies are decoded by orjson when it can be trusted to agree with the standard library
(see ``normalized._fast_decode``); a byte-order mark sends a body the careful way, which
makes that path the oracle here. Text without control or format characters skips the
cleaning expression.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muster.errors import InvalidInput
from muster.integrations.fields import parse_timestamp
from muster.integrations.normalized import _UNWANTED, clean_text, decode_json

EXAMPLES = int(os.environ.get("MUSTER_FUZZ_EXAMPLES", "200"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
BOM = b"\xef\xbb\xbf"

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)  # past 64 bits: kept exact
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["\x00", "a\x00b", "\u202e", "\ufeff", "é", "😀"])
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


def both(body: bytes) -> tuple[object, object]:
    """What the fast path and the careful path make of ``body`` (value or error text)."""
    answers = []
    for raw in (body, BOM + body):
        try:
            answers.append(("value", decode_json(raw)))
        except InvalidInput as exc:
            answers.append(("error", exc.detail))
    return answers[0], answers[1]


@fuzz
@given(values)
def test_decoded_values_agree(value: object) -> None:
    body = json.dumps(value).encode()
    fast, careful = both(body)
    assert fast == careful
    if fast[0] == "value":  # and the types too (an int stays an int, however long)
        assert json.dumps(fast[1], sort_keys=True) == json.dumps(careful[1], sort_keys=True)


@fuzz
@given(st.binary(max_size=60) | st.text(max_size=40).map(str.encode))
def test_refusals_agree(body: bytes) -> None:
    fast, careful = both(body)
    if careful[0] == "value":
        assert fast == careful
    else:
        assert fast[0] == "error"


@pytest.mark.parametrize(
    "body",
    [b'{"n": 123456789012345678901234567890}', b'[-9223372036854775809]', b'[1e400]',
     b'"\\ud800"', b'{"a": "\\u0000x"}', b'{"a\\u0000": 1}', b"[" * 33 + b"]" * 33,
     b"[" * 32 + b"]" * 32, b"NaN", b"  ", b'{"a": 1, "a": 2}'],
)  # fmt: skip
def test_edge_cases_agree(body: bytes) -> None:
    fast, careful = both(body)
    assert fast == careful


@fuzz
@given(st.text(max_size=60), st.integers(min_value=0, max_value=70))
def test_clean_text_agrees_with_the_expression(text: str, max_len: int) -> None:
    cleaned = _UNWANTED.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    expected = cleaned if len(cleaned) <= max_len else (
        "" if max_len < 1 else cleaned[: max_len - 1].rstrip() + "\u2026")  # fmt: skip
    assert clean_text(text, max_len) == expected


def test_remembered_timestamps_are_the_same_answers() -> None:
    first = parse_timestamp("2026-01-05T08:59:00+02:00")
    assert parse_timestamp("2026-01-05T08:59:00+02:00") == first
    assert first.utcoffset() is not None
    for _ in range(2):  # a refusal is never remembered as an answer
        with pytest.raises(ValueError, match="ISO 8601"):
            parse_timestamp("yesterday")
