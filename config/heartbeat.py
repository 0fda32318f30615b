"""A sign of life from long work: call a function every few seconds from a thread of its own."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


@contextmanager
def heartbeat(beat: Callable[[], bool | None], interval: float, name: str) -> Iterator[None]:
    """Call `beat` every `interval` seconds while the block runs; stop early when it returns False.

    The thread has its own database connection (Django's are per thread) and closes it at the
    end, so the beat commits on its own while the block's transaction is still open.
    """
    stop = threading.Event()

    def run() -> None:
        from django.db import connection

        try:
            while not stop.wait(interval):
                try:
                    if beat() is False:
                        return
                except Exception:  # retried at the next interval
                    logger.warning("heartbeat %s failed", name, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)
