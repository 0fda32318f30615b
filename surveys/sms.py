"""Text messages (短信) through a provider interface, chosen like Django's e-mail backend.

`settings.SMS_BACKEND` names the class: `ConsoleSmsBackend` (the default) writes each message
to the log and stdout, `LocmemSmsBackend` keeps them in `outbox` for tests. A real provider
(Aliyun SMS, Tencent Cloud SMS, …) is one more subclass of `BaseSmsBackend`; none is configured
here.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# A mainland China mobile number: 11 digits starting 1[3-9], optionally after +86 / 86.
MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


def normalise_mobile(phone: str) -> str:
    """The 11-digit mobile number in `phone` (spaces and dashes ignored), or "" if it is none."""
    match = MOBILE.match(re.sub(r"[\s-]", "", phone or ""))
    return match.group(1) if match else ""


class BaseSmsBackend:
    """Send text messages. A provider implements `send_messages`; it returns how many it sent."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Writes each message to stdout and the log (the way the console e-mail backend does)."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        for message in messages:
            line = f"SMS to {message.phone}: {message.text}"
            sys.stdout.write(line + "\n")
            logger.info(line)
        sys.stdout.flush()
        return len(messages)


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps the messages in `LocmemSmsBackend.outbox` (tests empty it)."""

    outbox: ClassVar[list[SmsMessage]] = []

    def send_messages(self, messages: list[SmsMessage]) -> int:
        type(self).outbox.extend(messages)
        return len(messages)


def get_sms_backend() -> BaseSmsBackend:
    backend: BaseSmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


def sms_send(messages: list[SmsMessage]) -> int:
    """Send these messages through the configured backend; returns how many it took."""
    if not messages:
        return 0
    return get_sms_backend().send_messages(messages)
