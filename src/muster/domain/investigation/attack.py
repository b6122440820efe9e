"""The MITRE ATT&CK Enterprise technique list shipped with Muster
(``attack_techniques.yaml``): loaded once, looked up by id or found by name for the
technique picker."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

MAX_MATCHES = 50


@dataclass(frozen=True, slots=True)
class Tactic:
    id: str  # TA0001
    key: str  # initial-access
    name: str  # Initial Access


@dataclass(frozen=True, slots=True)
class Technique:
    id: str  # T1059 or T1059.001
    name: str
    tactics: tuple[str, ...]  # tactic keys

    @property
    def label(self) -> str:
        """``T1059 Command and Scripting Interpreter`` (what the picker offers)."""
        return f"{self.id} {self.name}"


@dataclass(frozen=True, slots=True)
class Catalogue:
    tactics: dict[str, Tactic]  # by key, in matrix order
    techniques: dict[str, Technique]  # by id, as listed


@cache
def catalogue() -> Catalogue:
    text = resources.files("muster.domain.investigation").joinpath("attack_techniques.yaml")
    data: dict[str, Any] = yaml.safe_load(text.read_text(encoding="utf-8"))
    tactics = {t["key"]: Tactic(t["id"], t["key"], t["name"]) for t in data["tactics"]}
    techniques = {
        t["id"]: Technique(t["id"], t["name"], tuple(t["tactics"])) for t in data["techniques"]
    }
    return Catalogue(tactics, techniques)


def technique(technique_id: str) -> Technique | None:
    """The technique with this id (``t1059`` or ``T1059.001``, any case), or None."""
    return catalogue().techniques.get(technique_id.strip().upper())


def tactic_name(key: str) -> str:
    found = catalogue().tactics.get(key)
    return found.name if found else key


def parse_choice(text: str) -> Technique | None:
    """The technique a picker entry names: ``T1059``, ``T1059 Command and ...`` or an
    exact name (any case)."""
    head = text.strip().split(" ", 1)[0]
    found = technique(head)
    if found is not None:
        return found
    wanted = text.strip().lower()
    return next((t for t in catalogue().techniques.values() if t.name.lower() == wanted), None)


def search(query: str, *, limit: int = MAX_MATCHES) -> list[Technique]:
    """Techniques whose id starts with ``query`` or whose name contains it (any case):
    id matches first, then names; everything (up to ``limit``) for an empty query."""
    q = query.strip().lower()
    everything = list(catalogue().techniques.values())
    if not q:
        return everything[:limit]
    by_id = [t for t in everything if t.id.lower().startswith(q)]
    by_name = [t for t in everything if q in t.name.lower() and t not in by_id]
    return (by_id + by_name)[:limit]
