"""Acting by email reply: every page by email has ``Reply-To: act+<token>@<email domain>``;
a reply saying "ack" or "resolve" acts as the one-click links do.

The SMTP listener calls :func:`do_handle_reply` for each recipient whose local part
starts with ``act+`` (see :func:`is_reply_address`), inside a unit of work it commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from muster.db.uow import UnitOfWork
from muster.domain.notify.tokens import do_use

PREFIX = "act+"
_WORDS = re.compile(r"\b(ack|acknowledge|acknowledged|resolve|resolved)\b", re.IGNORECASE)
_QUOTE_START = re.compile(
    r"^(>|On .+wrote:\s*$|-{2,}\s*Original Message|From:\s|Sent from my )", re.IGNORECASE
)


@dataclass(frozen=True)
class ReplyOutcome:
    ok: bool
    message: str
    groups: tuple[str, ...] = ()


def is_reply_address(recipient: str) -> bool:
    return recipient.strip().strip("<>").lower().startswith(PREFIX)


def reply_address(signed_token: str, email_domain: str) -> str:
    return f"{PREFIX}{signed_token}@{email_domain}"


def wanted_action(text: str) -> str | None:
    """ "ack" or "resolve" from the reply's own words (quoted text below is ignored)."""
    for line in text.splitlines():
        if _QUOTE_START.match(line.strip()):
            break
        if match := _WORDS.search(line):
            return "ack" if match.group(1).lower().startswith("ack") else "resolve"
    return None


def do_handle_reply(uow: UnitOfWork, secret: str, recipient: str, text: str) -> ReplyOutcome:
    """Act on a reply sent to ``recipient`` (``act+<token>@...``) saying ``text``.

    Changes nothing unless the token is valid, unused, unexpired and the reply says
    "ack" or "resolve". The caller commits ``uow`` whatever the outcome.
    """
    local = recipient.strip().strip("<>").rpartition("@")[0]
    if not local.lower().startswith(PREFIX):
        return ReplyOutcome(False, "not a reply address")
    action = wanted_action(text)
    if action is None:
        return ReplyOutcome(False, "the reply says neither “ack” nor “resolve”")
    # Mail systems may lower-case the local part; the signed token is case-sensitive, so
    # the original case is kept as received.
    found = do_use(uow, secret, local[len(PREFIX) :], action=action, via="email")
    if found.problem:
        return ReplyOutcome(False, found.problem)
    return ReplyOutcome(True, found.title, tuple(found.done))
