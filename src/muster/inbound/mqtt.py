"""One MQTT subscription: a paho-mqtt client in a thread of its own that connects,
subscribes, hands every message to a callback and reconnects with exponential backoff
(paho's own: 1 s doubling to :data:`MAX_BACKOFF`) whenever the broker goes away - the
first connection included.

Data topics are subscribed as shared subscriptions (``$share/<group>/<filter>``), so
when several engine processes subscribe for the same integration the broker hands each
message to one of them; state topics (retained: Frigate's ``available`` and camera
status) are subscribed plainly, since brokers do not send retained messages to shared
subscriptions. Messages are taken at QoS 1 and handled in order, one at a time, on the
client's thread.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)

MIN_BACKOFF = 1
MAX_BACKOFF = 60
KEEPALIVE = 30


@dataclass(frozen=True)
class Subscription:
    """What to connect to and subscribe."""

    client_id: str
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    data_topics: Sequence[str]
    state_topics: Sequence[str]
    share_group: str | None = None


OnMessage = Callable[[str, bytes], None]
OnState = Callable[[bool, "str | None", int], None]  # connected, error, attempts


class MqttSubscriber:
    def __init__(
        self, subscription: Subscription, on_message: OnMessage, on_state: OnState,
        *, min_backoff: int = MIN_BACKOFF, max_backoff: int = MAX_BACKOFF,
    ) -> None:  # fmt: skip
        self.subscription = subscription
        self.on_message = on_message
        self.on_state = on_state
        self.attempts = 0
        self.connected = threading.Event()
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=subscription.client_id,
            clean_session=True, reconnect_on_failure=True,
        )  # fmt: skip
        client.reconnect_delay_set(min_delay=min_backoff, max_delay=max_backoff)
        if subscription.username:
            client.username_pw_set(subscription.username, subscription.password)
        if subscription.tls:
            client.tls_set_context(ssl.create_default_context())
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._subscribe_mid: int | None = None
        self.client = client

    def start(self) -> None:
        self.client.connect_async(self.subscription.host, self.subscription.port, KEEPALIVE)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        if self.connected.is_set():
            self.connected.clear()
            self._report(False, "stopped")

    def topics(self) -> list[str]:
        group = self.subscription.share_group
        data = [f"$share/{group}/{t}" if group else t for t in self.subscription.data_topics]
        return [*data, *self.subscription.state_topics]

    def _on_connect(
        self, client: mqtt.Client, _userdata: object, _flags: mqtt.ConnectFlags,
        reason: ReasonCode, _properties: Properties | None,
    ) -> None:  # fmt: skip
        if reason.is_failure:
            self.attempts += 1
            self._report(False, f"refused by the broker: {reason}")
            return
        self.attempts = 0
        # Connected counts from the broker's acknowledgement of the subscriptions: a
        # message published before that would not reach us.
        _result, self._subscribe_mid = client.subscribe([(topic, 1) for topic in self.topics()])

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: object, mid: int, reasons: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:  # fmt: skip
        if mid != self._subscribe_mid:
            return
        refused = [str(reason) for reason in reasons if reason.is_failure]
        self.connected.set()
        self._report(True, f"subscriptions refused: {', '.join(refused)}" if refused else None)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: object, _flags: mqtt.DisconnectFlags,
        reason: ReasonCode, _properties: Properties | None,
    ) -> None:  # fmt: skip
        self.connected.clear()
        self.attempts += 1
        self._report(False, None if reason.value == 0 else f"disconnected: {reason}")

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: object) -> None:
        self.attempts += 1
        self._report(False, "cannot reach the broker")

    def _on_message(
        self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        try:
            self.on_message(message.topic, message.payload)
        except Exception:  # one bad message must not end the subscription
            log.exception("MQTT message on %s could not be handled", message.topic)

    def _report(self, connected: bool, error: str | None) -> None:
        try:
            self.on_state(connected, error, self.attempts)
        except Exception:
            log.exception("MQTT state could not be recorded")
