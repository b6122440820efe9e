"""Export: the whole configuration as files, one folder per kind, one file per object."""

from __future__ import annotations

from pathlib import Path

from muster.db.uow import UnitOfWork
from muster.domain.config_code.documents import SUFFIX, dump, file_names
from muster.domain.config_code.registry import KINDS


def export_config(uow: UnitOfWork, root: Path) -> dict[str, int]:
    """Write every live object under ``root``; returns how many files per kind. A kind's
    folder is rewritten whole (its old ``.yaml`` files removed first), so an object gone
    from Muster is gone from the files; nothing else under ``root`` is touched."""
    root.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for kind in KINDS:
        current = kind.current(uow)
        folder = root / kind.folder
        if folder.is_dir():
            for old in folder.glob(f"*{SUFFIX}"):
                old.unlink()
        if not current:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
            counts[kind.folder] = 0
            continue
        folder.mkdir(exist_ok=True)
        names = file_names(list(current))
        for name, (_, document) in current.items():
            (folder / names[name]).write_text(dump(document), encoding="utf-8")
        counts[kind.folder] = len(current)
    return counts
