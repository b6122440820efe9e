"""Chat rooms and push notifications through Apprise: one URL names the service and the
target (``slack://``, ``msteams://``, ``mmost://``, ``discord://``, ``tgram://``,
``ntfy://`` / ``ntfys://`` for push, ``json://`` for a plain JSON POST, ...).

Apprise's own HTTP goes through urllib3, which :func:`muster.channels.http.guard_urllib3`
holds to the outbound policy; redirects are not followed and timeouts apply. Apprise
reports a bool and log lines: a 4xx in them (other than 408/429) or a refused
destination is a permanent failure, anything else may pass on a retry.
"""

from __future__ import annotations

import re
import time
import warnings
from typing import Any

from muster.channels.base import Delivery, Message, failed
from muster.channels.http import Policy, guard_urllib3, refusal_for

with warnings.catch_warnings():  # Apprise imports modules Python deprecates
    warnings.simplefilter("ignore", DeprecationWarning)
    import apprise
    import apprise.utils.pgp

_STATUS = re.compile(r"error=(\d{3})")


class AppriseChannel:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        guard_urllib3(policy)

    def send(self, message: Message) -> Delivery:
        guard_urllib3(self.policy)
        target = apprise.Apprise.instantiate(message.address)
        if target is None:
            return failed("not an Apprise URL this installation can use", permanent=True)
        target.socket_connect_timeout = self.policy.connect_timeout
        target.socket_read_timeout = self.policy.read_timeout
        if hasattr(target, "redirects"):
            target.redirects = False
        # Sent in this thread (no async dispatch, no call deadline: the socket timeouts bound
        # it), so a refusal by the outbound policy is seen here.
        notifier = apprise.Apprise()
        notifier.add(target)
        lines: list[str] = []

        def keep(entry: Any, _service: Any = None) -> None:
            lines.append(str(getattr(entry, "message", entry)))

        body = message.text if message.method_type == "chat" else message.short or message.text
        started = time.monotonic()
        result = notifier.notify(
            body=body,
            title=message.subject,
            log_callback=keep,
        )
        if result:
            return Delivery(ok=True)
        host = getattr(target, "host", None)
        refused = refusal_for(host, started) if isinstance(host, str) else None
        if refused:
            return failed(refused, permanent=True)
        detail = " | ".join(lines)[-600:] or "Apprise reported a failure"
        statuses = [int(s) for s in _STATUS.findall(detail)]
        permanent = any(400 <= s < 500 and s not in (408, 425, 429) for s in statuses)
        return failed(detail, permanent=permanent)
