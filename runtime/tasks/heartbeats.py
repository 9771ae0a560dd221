"""Heartbeats: a worker renews the lease of every message it is sending, so the lease can be short.

A message in `sending` whose lease ran out was interrupted (its worker died): the recovery sweep
(`periodic.watch_deliveries`) queues it again. Without heartbeats the lease had to outlast the
slowest send (minutes); with them it only has to outlast a few missed beats (seconds), so a
killed worker's message goes out again within seconds, with the same idempotency key.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Iterator

from .ledger import DeliveryLedger

log = logging.getLogger(__name__)


class Heartbeats:
    """One thread per process renewing the leases of the messages this process is sending."""

    def __init__(self, ledger: DeliveryLedger, interval_s: float) -> None:
        self.ledger = ledger
        self.interval_s = interval_s
        self._held: dict[tuple[str, int], int] = {}  # (key, attempt) -> holders
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    @contextlib.contextmanager
    def sending(self, key: str, attempt: int) -> Iterator[None]:
        """Renew the lease of one attempt while the body of the `with` sends it."""
        held = (key, attempt)
        with self._guard:
            self._held[held] = self._held.get(held, 0) + 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, daemon=True,
                                                name="delivery-heartbeats")
                self._thread.start()
        try:
            yield
        finally:
            with self._guard:
                left = self._held.pop(held) - 1
                if left:
                    self._held[held] = left

    def _beat(self) -> None:
        """Renew every held lease each interval until closed."""
        while not self._closing.wait(self.interval_s):
            with self._guard:
                held = list(self._held)
            if not held:
                continue
            try:
                self.ledger.beat(held, time.time())
            except Exception as exc:  # the database away for a moment: the next beat may pass
                log.warning("delivery heartbeat missed: %s", exc)

    def close(self) -> None:
        """Stop beating."""
        self._closing.set()


__all__ = ["Heartbeats"]
