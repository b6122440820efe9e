"""Where in a YAML document a problem is: the pieces every editable YAML document
(playbooks, drill scenarios) shares to name each problem with its line."""

from __future__ import annotations

import yaml

from muster.errors import FieldError

Loc = tuple[int | str, ...]


def yaml_reason(exc: yaml.YAMLError) -> str:
    """What the YAML parser could not read, with its line and column."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"not valid YAML: {where}{problem}"


def line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """The line (1-based) of the deepest node ``loc`` reaches; parts of ``loc`` that are
    not in the document (pydantic's union tags) are stepped over."""
    if root is None:
        return None
    node: yaml.Node = root
    line: int = root.start_mark.line + 1
    for part in loc:
        child = child_of(node, part)
        if child is None:
            continue
        node = child
        line = child.start_mark.line + 1
    return line


def child_of(node: yaml.Node, part: int | str) -> yaml.Node | None:
    """The value under key ``part`` of a mapping, or item ``part`` of a sequence."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    return None


def duplicate_keys(node: yaml.Node | None, path: str = "") -> list[FieldError]:
    """Every key given twice in one mapping (YAML keeps the last silently)."""
    found: list[FieldError] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            here = f"{path}.{name}" if path else name
            if name in seen:
                found.append(FieldError(here, f"given twice (line {key.start_mark.line + 1})"))
            seen.add(name)
            found += duplicate_keys(value, here)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found += duplicate_keys(item, f"{path}.{i}" if path else str(i))
    return found
