"""A small pluggable SMS sender, shaped like Django's e-mail backends.

`VPSELECT_SMS_BACKEND` names the class; a real provider is a class with the same
`send_messages(messages) -> int` that raises OSError on failure (the caller retries later).
"""

import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class BaseSmsBackend:
    def send_messages(self, messages: list[SmsMessage]) -> int:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Writes each message to standard output (development)."""

    stream = None

    def send_messages(self, messages: list[SmsMessage]) -> int:
        stream = self.stream or sys.stdout
        for message in messages:
            stream.write(f"SMS to {message.to}\n{message.body}\n{'-' * 40}\n")
        stream.flush()
        return len(messages)


class FileSmsBackend(BaseSmsBackend):
    """Writes each message to its own file under VPSELECT_SMS_FILE_PATH (development, tests)."""

    _lock = threading.Lock()

    def send_messages(self, messages: list[SmsMessage]) -> int:
        directory = Path(settings.VPSELECT_SMS_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            for message in messages:
                stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")  # noqa: DTZ005 - a file name
                path = directory / f"{stamp}-{id(message)}.sms"
                path.write_text(f"To: {message.to}\n\n{message.body}\n", encoding="utf-8")
        return len(messages)


class NullSmsBackend(BaseSmsBackend):
    """Sends nothing (the demo's invented patients)."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        return len(messages)


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in `outbox` (tests), as Django's locmem e-mail backend."""

    outbox: list[SmsMessage] = []

    def send_messages(self, messages: list[SmsMessage]) -> int:
        LocmemSmsBackend.outbox.extend(messages)
        return len(messages)


def sms_backend() -> BaseSmsBackend:
    return import_string(settings.VPSELECT_SMS_BACKEND)()


def send_sms(*, to: str, body: str) -> int:
    return sms_backend().send_messages([SmsMessage(to=to, body=body)])
