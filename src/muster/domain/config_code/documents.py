"""Configuration files on disk: one folder per kind, one YAML file per object.

Reading keeps each file's YAML node tree so any field path (``levels.1.targets.0``) can
be turned back into the line it was written on. Writing is deterministic: keys in the
schema's order, block style, file names from the object's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_FILE = 256 * 1024  # bytes of YAML per object
SUFFIX = ".yaml"


@dataclass(frozen=True)
class Located:
    """A problem in a configuration file: the file (relative to the directory), the line
    (1-based; 0 when the problem is the file as a whole) and the reason."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.reason}"
            if self.line
            else f"{self.file}: {self.reason}"
        )


@dataclass
class Document:
    """One object's file: where it is, what it says and the nodes to find lines with."""

    kind: str
    file: str
    data: Any
    root: yaml.Node | None = None
    problems: list[Located] = field(default_factory=list)

    def line_of(self, path: tuple[str | int, ...] | list[str | int]) -> int:
        """The line of the deepest node along ``path`` that exists (1 for the file)."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else 1
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line

    def problem(self, path: tuple[str | int, ...] | list[str | int], reason: str) -> Located:
        return Located(self.file, self.line_of(path), reason)


def _child(node: yaml.Node | None, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                return value
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(step, int)
        and 0 <= step < len(node.value)
    ):
        return node.value[step]
    return None


def read_document(kind: str, file: str, text: str) -> Document:
    """Parse one file; problems (not YAML, not a mapping, repeated keys) are kept on the
    document rather than raised, so every file's problems are reported together."""
    doc = Document(kind=kind, file=file, data=None)
    if len(text.encode()) > MAX_FILE:
        doc.problems.append(Located(file, 0, f"larger than {MAX_FILE // 1024} KB"))
        return doc
    try:
        doc.root = yaml.compose(text, Loader=yaml.SafeLoader)
        doc.data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        doc.problems.append(
            Located(file, mark.line + 1 if mark else 0, f"not valid YAML: {problem}")
        )
        return doc
    if not isinstance(doc.data, dict):
        doc.problems.append(Located(file, 1, "an object's file is a mapping (key: value lines)"))
        return doc
    doc.problems.extend(_repeated_keys(file, doc.root))
    return doc


def _repeated_keys(file: str, node: yaml.Node | None) -> list[Located]:
    found: list[Located] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                found.append(Located(file, key.start_mark.line + 1, f"key {name!r} given twice"))
            seen.add(name)
            found.extend(_repeated_keys(file, value))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found.extend(_repeated_keys(file, item))
    return found


def read_directory(root: Path, folders: list[str]) -> tuple[list[Document], list[Located]]:
    """Every ``<folder>/*.yaml`` under ``root`` for the known folders, in name order;
    plus problems for anything else there (unknown folders, stray files)."""
    docs: list[Document] = []
    problems: list[Located] = []
    if not root.is_dir():
        return [], [Located(str(root), 0, "not a directory")]
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            problems.append(Located(entry.name, 0, "expected only folders, one per kind"))
        elif entry.name not in folders:
            known = ", ".join(folders)
            problems.append(Located(entry.name, 0, f"unknown kind of object (known: {known})"))
    for folder in folders:
        path = root / folder
        if not path.is_dir():
            continue
        for file in sorted(path.iterdir()):
            rel = f"{folder}/{file.name}"
            if file.name.startswith("."):
                continue
            if not file.is_file() or file.suffix != SUFFIX:
                problems.append(Located(rel, 0, f"expected {SUFFIX} files only"))
                continue
            try:
                text = file.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                problems.append(Located(rel, 0, "not UTF-8 text"))
                continue
            docs.append(read_document(folder, rel, text))
    return docs, problems


def dump(data: dict[str, Any]) -> str:
    """The YAML text of one object, the same every time for the same data."""
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return text


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    """Indents lists under their key and writes multi-line strings as blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not value.startswith((" ", "\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def file_names(names: list[str]) -> dict[str, str]:
    """A file name per object name: a lower-case slug; names whose slugs clash get a
    numbered suffix in name order, so the same names always give the same files."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(names):
        base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "object"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        out[name] = slug + SUFFIX
    return out
