"""Outbound delivery behind one protocol (:class:`muster.channels.base.Channel`): email,
webhook, chat and push (Apprise), SMS and voice (Twilio-compatible), and a recording fake.

:func:`build_channels` makes the set an installation's settings describe.
"""

from __future__ import annotations

from muster.channels.base import Channel, Unconfigured
from muster.channels.http import Policy
from muster.clock import Clock
from muster.config import Settings

Channels = dict[str, Channel]


def outbound_policy(settings: Settings) -> Policy:
    n = settings.notify
    return Policy.parse(n.outbound_allow, n.connect_timeout, n.read_timeout)


def build_channels(settings: Settings, clock: Clock | None = None) -> Channels:
    """A channel for each method type: the real one when configured, else one that fails
    for good (so pages fall through to the person's next method)."""
    from muster.channels.chat import AppriseChannel
    from muster.channels.email import SmtpChannel
    from muster.channels.sms import TwilioChannel
    from muster.channels.webhook import WebhookChannel

    n = settings.notify
    policy = outbound_policy(settings)
    chat = AppriseChannel(policy)
    channels: Channels = {"webhook": WebhookChannel(policy, clock), "chat": chat, "push": chat}
    channels["email"] = (
        SmtpChannel(n, email_domain=settings.email_domain)
        if n.smtp_host
        else Unconfigured("email", "set MUSTER_SMTP_RELAY_HOST")
    )
    if n.sms_account and n.sms_token and n.sms_from:
        channels["sms"] = TwilioChannel(n, policy)
        channels["voice"] = TwilioChannel(n, policy, voice=True)
    else:
        hint = "set MUSTER_SMS_ACCOUNT, MUSTER_SMS_TOKEN and MUSTER_SMS_FROM"
        channels["sms"] = Unconfigured("sms", hint)
        channels["voice"] = Unconfigured("voice", hint)
    return channels
