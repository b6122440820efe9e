"""The JSONPath subset used by generic mappings."""

from __future__ import annotations

from typing import Any

import pytest

from muster.integrations.jsonpath import Index, JsonPathError, Key, Wildcard, compile_path

DOC: dict[str, Any] = {
    "alert": {"title": "Disk full", "tags": ["db", "prod"]},
    "items": [{"name": "a", "n": 1}, {"name": "b"}, {"other": True}],
    "key with space": {"x.y": 5, "it's": "quoted"},
    "labels": {"env": "prod", "team": "dba"},
    "nothing": None,
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$", [DOC]),
        ("$.alert.title", ["Disk full"]),
        ("$.alert.tags[0]", ["db"]),
        ("$.alert.tags[-1]", ["prod"]),
        ("$.alert.tags[5]", []),
        ("$.items[0].name", ["a"]),
        ("$.items[*].name", ["a", "b"]),
        ("$['key with space']['x.y']", [5]),
        ('$["key with space"]["it\'s"]', ["quoted"]),
        ("$['key with space']['it\\'s']", ["quoted"]),
        ("$.labels.*", ["prod", "dba"]),
        ("$[ 'alert' ][ 'tags' ][ * ]", ["db", "prod"]),
        ("$.nothing", [None]),
        ("$.missing.deeper", []),
        ("$.alert.title.deeper", []),
        ("$.alert[0]", []),
        ("$.items.name", []),
    ],
)
def test_find(expression: str, expected: list[Any]) -> None:
    assert compile_path(expression).find(DOC) == expected


def test_current_item_root() -> None:
    path = compile_path("@.name")
    assert path.find(DOC, {"name": "current"}) == ["current"]
    assert path.find({"name": "doc"}) == ["doc"]  # without an item, @ is the document


def test_compiled_steps_and_singularity() -> None:
    path = compile_path("$.a[2]['b c'][*]")
    assert path.steps == (Key("a"), Index(2), Key("b c"), Wildcard())
    assert not path.is_singular
    assert compile_path("$.a.b[0]").is_singular


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "is empty"),
        ("alert.title", "must start with '$' (the document) or '@' (the current item)"),
        ("$.", "ends early: expected a name, or '*'"),
        ("$..a", "has '.' at position 2; expected a name, or '*'"),
        ("$.a b", "has ' ' at position 3; expected '.' or '['"),
        ("$[", "ends early: expected an index, '*' or a quoted key"),
        ("$[0", "ends early: expected ']'"),
        ("$[a]", "has 'a' at position 2; expected an index, '*' or a quoted key"),
        ("$['open", "has an unterminated quoted key starting at position 2"),
        ("$['a\\x']", "has 'x' at position 5; expected \\\\, \\' or \\\" after a backslash"),
        ("$[-]", "has ']' at position 3; expected an index of 1 to 9 digits"),
        ("$[1234567890]", "has '1' at position 2; expected an index of 1 to 9 digits"),
        ("$[?(@.a)]", "has '?' at position 2; expected an index, '*' or a quoted key"),
        ("$" + ".a" * 65, "has more than 64 steps"),
        ("$." + "a" * 1030, "is longer than 1024 characters"),
    ],
)
def test_invalid_expressions(expression: str, message: str) -> None:
    with pytest.raises(JsonPathError) as caught:
        compile_path(expression)
    assert str(caught.value) == message
