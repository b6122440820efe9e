"""A small JSONPath subset, for generic JSON mappings.

Grammar (whitespace is allowed only inside brackets)::

    path      := root step*
    root      := "$"                      the whole document
               | "@"                      the current item (see generic mappings)
    step      := "." name                 $.alert.title
               | "." "*"                  $.labels.*        every value of an object
               | "[" index "]"            $.alerts[0], $.alerts[-1]
               | "[" "*" "]"              $.alerts[*].name  every item of a list
               | "[" quoted "]"           $['key with space'], $["a.b"]
    name      := letter or "_", then letters, digits, "_" or "-"
    quoted    := '...' or "..." with backslash escapes for the quote and the backslash

A path without ``*`` is *singular*: it selects at most one value. Filters, slices and
recursive descent (``..``) are deliberately not supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from muster.integrations.normalized import JsonValue

MAX_EXPRESSION = 1024
MAX_STEPS = 64


class JsonPathError(ValueError):
    """An expression is not in the supported subset; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Key:
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    position: int


@dataclass(frozen=True, slots=True)
class Wildcard:
    pass


Step = Key | Index | Wildcard


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A compiled path; build one with :func:`compile_path`."""

    text: str
    root: Literal["$", "@"]
    steps: tuple[Step, ...]

    @property
    def is_singular(self) -> bool:
        """Whether the path selects at most one value (it has no wildcard)."""
        return not any(isinstance(step, Wildcard) for step in self.steps)

    def find(self, document: JsonValue, current: JsonValue | None = None) -> list[JsonValue]:
        """Every value the path selects, in document order. ``current`` is what ``@``
        means (the document itself when not given)."""
        nodes: list[JsonValue] = [document if self.root == "$" or current is None else current]
        for step in self.steps:
            nodes = [child for node in nodes for child in _children(node, step)]
            if not nodes:
                break
        return nodes


def _children(node: JsonValue, step: Step) -> list[JsonValue]:
    if isinstance(step, Key):
        return [node[step.name]] if isinstance(node, dict) and step.name in node else []
    if isinstance(step, Index):
        if isinstance(node, list) and -len(node) <= step.position < len(node):
            return [node[step.position]]
        return []
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, list):
        return list(node)
    return []


def compile_path(text: str) -> JsonPath:
    """Parse ``text`` into a :class:`JsonPath`, or raise :class:`JsonPathError`."""
    if len(text) > MAX_EXPRESSION:
        raise JsonPathError(f"is longer than {MAX_EXPRESSION} characters")
    if not text:
        raise JsonPathError("is empty")
    if text[0] not in "$@":
        raise JsonPathError("must start with '$' (the document) or '@' (the current item)")
    root: Literal["$", "@"] = "$" if text[0] == "$" else "@"
    parser = _Parser(text, 1)
    steps: list[Step] = []
    while not parser.done():
        steps.append(parser.step())
        if len(steps) > MAX_STEPS:
            raise JsonPathError(f"has more than {MAX_STEPS} steps")
    return JsonPath(text=text, root=root, steps=tuple(steps))


class _Parser:
    """A cursor over the expression text."""

    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def fail(self, what: str) -> JsonPathError:
        if self.done():
            return JsonPathError(f"ends early: expected {what}")
        found = self.text[self.pos]
        return JsonPathError(f"has {found!r} at position {self.pos}; expected {what}")

    def step(self) -> Step:
        char = self.text[self.pos]
        if char == ".":
            self.pos += 1
            if self.text.startswith("*", self.pos):
                self.pos += 1
                return Wildcard()
            return Key(self.name())
        if char == "[":
            self.pos += 1
            step = self.bracket()
            self.skip_spaces()
            if not self.text.startswith("]", self.pos):
                raise self.fail("']'")
            self.pos += 1
            return step
        raise self.fail("'.' or '['")

    def name(self) -> str:
        start = self.pos
        if self.done() or not (self.text[self.pos].isalpha() or self.text[self.pos] == "_"):
            raise self.fail("a name, or '*'")
        while not self.done() and (self.text[self.pos].isalnum() or self.text[self.pos] in "_-"):
            self.pos += 1
        return self.text[start : self.pos]

    def skip_spaces(self) -> None:
        while not self.done() and self.text[self.pos] == " ":
            self.pos += 1

    def bracket(self) -> Step:
        self.skip_spaces()
        if self.done():
            raise self.fail("an index, '*' or a quoted key")
        char = self.text[self.pos]
        if char == "*":
            self.pos += 1
            return Wildcard()
        if char in "'\"":
            return Key(self.quoted(char))
        if char == "-" or char.isdigit():
            return Index(self.integer())
        raise self.fail("an index, '*' or a quoted key")

    def integer(self) -> int:
        start = self.pos
        if self.text[self.pos] == "-":
            self.pos += 1
        digits = self.pos
        while not self.done() and "0" <= self.text[self.pos] <= "9":
            self.pos += 1
        if self.pos == digits or self.pos - digits > 9:
            self.pos = digits
            raise self.fail("an index of 1 to 9 digits")
        return int(self.text[start : self.pos])

    def quoted(self, quote: str) -> str:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while not self.done():
            char = self.text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(chars)
            if char == "\\":
                self.pos += 1
                if self.done() or self.text[self.pos] not in "\\'\"":
                    raise self.fail("\\\\, \\' or \\\" after a backslash")
                char = self.text[self.pos]
            chars.append(char)
            self.pos += 1
        raise JsonPathError(f"has an unterminated quoted key starting at position {start}")
