"""The playbooks shipped with Muster (``shipped/*.yaml``): installed as ``builtin`` on a
new installation, and again on request (``muster playbook install-defaults``), each only
when no playbook has its key — an edited or archived copy is never replaced."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.playbooks.models import Playbook
from muster.domain.playbooks.parse import parse_source
from muster.domain.playbooks.service import do_apply_playbook

FIRST_START = Actor.system(Via.SYSTEM, label="first start")


def shipped_sources() -> dict[str, str]:
    """The YAML of each shipped playbook, by file name."""
    folder = resources.files("muster.domain.playbooks").joinpath("shipped")
    return {
        item.name: item.read_text(encoding="utf-8")
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.name.endswith(".yaml")
    }


def do_install_defaults(uow: UnitOfWork, actor: Actor) -> list[Playbook]:
    """Install each shipped playbook whose key is not taken; returns those installed.
    Precondition: the actor is a manager."""
    require(actor, Role.MANAGER)
    installed = []
    for source in shipped_sources().values():
        key = parse_source(source).key
        if uow.session.scalar(select(Playbook.id).where(Playbook.key == key)) is None:
            installed.append(do_apply_playbook(uow, actor, source, builtin=True))
    return installed


def do_install_defaults_once(uow: UnitOfWork) -> list[Playbook]:
    """On an installation without any playbook, install the shipped ones."""
    if uow.session.scalar(select(func.count()).select_from(Playbook)):
        return []
    return do_install_defaults(uow, FIRST_START)
