"""SMS and voice calls through a Twilio-compatible HTTP API (Twilio itself, or any
provider or gateway speaking its ``2010-04-01`` Messages and Calls resources).

``MUSTER_SMS_BASE_URL`` (default ``https://api.twilio.com``), ``MUSTER_SMS_ACCOUNT`` (the
account SID), ``MUSTER_SMS_TOKEN`` and ``MUSTER_SMS_FROM``. A call reads the message out
twice. Requests go through the outbound HTTP helper like any other.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from muster.channels.base import Delivery, Message, failed, http_failure
from muster.channels.http import Policy, Refused, Unreachable, request
from muster.config import NotifySettings


class TwilioChannel:
    def __init__(self, cfg: NotifySettings, policy: Policy, *, voice: bool = False) -> None:
        if not (cfg.sms_account and cfg.sms_token and cfg.sms_from):
            raise ValueError("the SMS provider is not configured")
        self.base = cfg.sms_base_url.rstrip("/")
        self.account = cfg.sms_account
        self.sender = cfg.sms_from
        self.policy = policy
        self.voice = voice
        login = f"{cfg.sms_account}:{cfg.sms_token}".encode()
        self.auth = "Basic " + base64.b64encode(login).decode()

    def form(self, message: Message) -> dict[str, str]:
        if self.voice:
            said = escape(message.voice or message.subject)
            twiml = f'<Response><Say>{said}</Say><Pause length="1"/><Say>{said}</Say></Response>'
            return {"To": message.address, "From": self.sender, "Twiml": twiml}
        return {
            "To": message.address,
            "From": self.sender,
            "Body": (message.short or message.subject)[:1500],
        }

    def send(self, message: Message) -> Delivery:
        resource = "Calls" if self.voice else "Messages"
        url = f"{self.base}/2010-04-01/Accounts/{quote(self.account)}/{resource}.json"
        headers = {
            "Authorization": self.auth,
            "Content-Type": "application/x-www-form-urlencoded",
            "Idempotency-Key": message.idempotency_key,
        }
        body = urlencode(self.form(message)).encode()
        try:
            answer = request("POST", url, body=body, headers=headers, policy=self.policy)
        except Refused as exc:
            return failed(str(exc), permanent=True)
        except Unreachable as exc:
            return failed(str(exc), permanent=False)
        if not 200 <= answer.status < 300:
            return http_failure(answer.status, answer.text)
        try:
            sid = json.loads(answer.body).get("sid")
        except (ValueError, AttributeError):
            sid = None
        return Delivery(ok=True, provider_message_id=str(sid) if sid else None)
