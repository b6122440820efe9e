"""MQTT intake: one :class:`~muster.inbound.mqtt.MqttSubscriber` per live MQTT
integration (``frigate``, ``access_control_mqtt``), kept in step with the database.

:meth:`MqttIntake.sync` starts subscribers for new integrations, stops those of revoked
or deleted ones and restarts those whose configuration (or password secret) changed; the
intake's thread calls it every few seconds, so integrations created or revoked while
Muster runs are picked up. Each subscriber's state goes to the ``mqtt_connections`` table
(read by ``/health``, also from web nodes) and the ``muster_mqtt_connected`` gauge.

Each message is applied in a unit of work of its own on the subscriber's thread
(:func:`muster.domain.physical.frigate.do_frigate_message`,
:func:`muster.domain.physical.access_control.do_access_events`); a malformed one is
counted and logged, and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from muster.db.uow import Database, UnitOfWork
from muster.domain.alerts.models import Integration
from muster.domain.physical.access_control import do_access_events
from muster.domain.physical.config import MQTT_TYPES, broker_address
from muster.domain.physical.connections import do_report_connection
from muster.domain.physical.frigate import do_frigate_message
from muster.domain.playbooks.secrets import reveal_all
from muster.errors import MusterError
from muster.inbound.mqtt import MqttSubscriber, Subscription
from muster.integrations import frigate
from muster.integrations.access_control import mapping_from_config, parse_access_events
from muster.metrics import MQTT_CONNECTED, MQTT_MESSAGES

log = logging.getLogger(__name__)

SYNC_SECONDS = 5.0
REPORT_EVERY = 6  # syncs between reports of a subscriber's state (seen_at)


@dataclass
class _Running:
    subscriber: MqttSubscriber
    fingerprint: str
    type: str
    last_message_at: datetime | None = None


class MqttIntake:
    def __init__(
        self, db: Database, secret_key: str, *, node: str | None = None,
        min_backoff: int = 1, max_backoff: int = 60,
    ) -> None:  # fmt: skip
        self.db = db
        self.secret_key = secret_key
        self.node = node or f"{socket.gethostname()}:{os.getpid()}"
        self.min_backoff, self.max_backoff = min_backoff, max_backoff
        self.running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._syncs = 0

    # -------------------------------------------------------------- lifecycle

    def start(self, interval: float = SYNC_SECONDS) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="muster-mqtt", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with self._lock:
            for integration_id in list(self.running):
                self._stop_one(integration_id)

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.sync()
            except Exception:
                log.exception("MQTT intake: synchronising subscriptions failed")
            self._stop.wait(interval)

    def sync(self) -> None:
        """Start, stop and restart subscribers to match the live MQTT integrations."""
        wanted = self._wanted()
        with self._lock:
            for integration_id, running in list(self.running.items()):
                spec = wanted.get(integration_id)
                if spec is None or spec[1] != running.fingerprint:
                    self._stop_one(integration_id)
            for integration_id, (subscription, fingerprint, type) in wanted.items():
                if integration_id not in self.running:
                    self._start_one(integration_id, subscription, fingerprint, type)
            self._syncs += 1
            if self._syncs % REPORT_EVERY == 0:
                for integration_id, running in self.running.items():
                    sub = running.subscriber
                    self._report(integration_id, sub.connected.is_set(), None, sub.attempts)

    def _wanted(self) -> dict[str, tuple[Subscription, str, str]]:
        with self.db.unit_of_work(readonly=True) as uow:
            integrations = uow.session.scalars(
                select(Integration).where(
                    Integration.type.in_(MQTT_TYPES),
                    Integration.revoked_at.is_(None),
                    Integration.exercise_run_id.is_(None),  # drills feed theirs directly
                )
            ).all()
            needs_secrets = any(i.config.get("password_secret") for i in integrations)
            secrets = reveal_all(uow, self.secret_key) if needs_secrets else {}
            wanted: dict[str, tuple[Subscription, str, str]] = {}
            for integration in integrations:
                name = integration.config.get("password_secret")
                password = secrets.get(name) if name else None
                if name and password is None:
                    log.warning("MQTT integration %s: secret %s is not set", integration.id, name)
                subscription = self._subscription(integration, password)
                fingerprint = hashlib.sha256(
                    json.dumps([integration.config, password], sort_keys=True, default=str).encode()
                ).hexdigest()
                wanted[integration.id] = (subscription, fingerprint, integration.type)
            return wanted

    def _subscription(self, integration: Integration, password: str | None) -> Subscription:
        config: dict[str, Any] = integration.config
        host, port, tls = broker_address(config)
        if integration.type == "frigate":
            topics = frigate.subscriptions(config.get("topic_prefix", "frigate"))
            data, state = topics[:2], topics[2:]
        else:
            data, state = [config.get("topic", "access/#")], []
        return Subscription(
            client_id=f"muster-{integration.id}-{self.node}"[:120], host=host, port=port, tls=tls,
            username=config.get("username") or None, password=password,
            data_topics=data, state_topics=state, share_group=f"muster-{integration.id}",
        )  # fmt: skip

    def _start_one(
        self, integration_id: str, subscription: Subscription, fingerprint: str, type: str
    ) -> None:
        def on_message(topic: str, payload: bytes) -> None:
            self.handle(integration_id, topic, payload)

        def on_state(connected: bool, error: str | None, attempts: int) -> None:
            self._report(integration_id, connected, error, attempts)

        subscriber = MqttSubscriber(subscription, on_message, on_state,
                                    min_backoff=self.min_backoff, max_backoff=self.max_backoff)  # fmt: skip
        self.running[integration_id] = _Running(subscriber, fingerprint, type)
        MQTT_CONNECTED.labels(integration_id).set(0)
        subscriber.start()

    def _stop_one(self, integration_id: str) -> None:
        running = self.running.pop(integration_id)
        running.subscriber.stop()
        MQTT_CONNECTED.labels(integration_id).set(0)

    def _report(
        self, integration_id: str, connected: bool, error: str | None, attempts: int
    ) -> None:
        MQTT_CONNECTED.labels(integration_id).set(1 if connected else 0)
        running = self.running.get(integration_id)
        try:
            with self.db.unit_of_work() as uow:
                if uow.session.get(Integration, integration_id) is None:
                    return
                do_report_connection(
                    uow, integration_id, connected=connected, node=self.node, error=error,
                    message_at=running.last_message_at if running else None, attempts=attempts,
                )  # fmt: skip
                uow.commit()
        except Exception:
            log.exception("MQTT intake: recording the state of %s failed", integration_id)

    def is_connected(self, integration_id: str) -> bool:
        running = self.running.get(integration_id)
        return running is not None and running.subscriber.connected.is_set()

    # -------------------------------------------------------------- messages

    def handle(self, integration_id: str, topic: str, payload: bytes) -> str:
        """Apply one message in a unit of work of its own; returns the outcome."""
        try:
            with self.db.unit_of_work() as uow:
                integration = uow.session.get(Integration, integration_id)
                if integration is None or integration.revoked_at is not None:
                    return "no_integration"
                outcome = _apply(uow, integration, topic, payload)
                if outcome != "ignored":
                    integration.last_received_at = uow.now
                uow.commit()
                now = uow.now
        except MusterError as exc:
            log.warning("MQTT message on %s refused: %s %s", topic, exc.detail,
                        "; ".join(f"{e.field}: {e.reason}" for e in exc.errors))  # fmt: skip
            MQTT_MESSAGES.labels(integration_id, "malformed").inc()
            return "malformed"
        running = self.running.get(integration_id)
        if running is not None:
            running.last_message_at = now
        MQTT_MESSAGES.labels(integration_id, outcome).inc()
        return outcome


def _apply(uow: UnitOfWork, integration: Integration, topic: str, payload: bytes) -> str:
    if integration.type == "frigate":
        message = frigate.parse_frigate(
            integration.config.get("topic_prefix", "frigate"), topic, payload
        )
        return "ignored" if message is None else do_frigate_message(uow, integration, message)
    batch = parse_access_events(payload, mapping_from_config(integration.config))
    counts = do_access_events(uow, integration, batch)
    return (
        "recorded"
        if counts.get("recorded")
        else "duplicate"
        if counts.get("duplicate")
        else "skipped"
    )
