"""The delivery ledger: one row per idempotency key, checked before every side effect.

A row moves pending -> sending -> delivered, or back to pending for a retry, or to failed, or
to opted_out when its recipient had opted out of the channel (STOP) by the time it was sent.
Every move is a compare-and-set on (state, attempts), so two workers that run the same task
(Huey re-enqueued it, or the periodic recovery did) cannot both claim it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from runtime.records.schema import deliveries

PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
OPTED_OUT = "opted_out"
FINAL = (DELIVERED, FAILED, OPTED_OUT)


class DeliveryLedger:
    """Records each message's delivery by idempotency key, in the records database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(self, key: str, payload: dict, now: float) -> bool:
        """Record a message as pending; return False when its key is already recorded."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(deliveries).values(_row(key, payload, now)))
        except IntegrityError:
            return False
        return True

    def open_all(self, rows: list[tuple[str, dict]], now: float) -> list[str]:
        """Record messages as pending in one transaction; return the keys recorded now
        (the others were recorded before).

        A turn's replies are recorded together: one write to the database, not one per reply.
        """
        keys = [key for key, _ in rows]
        try:
            with self.engine.begin() as conn:
                known = set(conn.execute(select(deliveries.c.key)
                                         .where(deliveries.c.key.in_(keys))).scalars())
                new = [_row(key, payload, now) for key, payload in rows if key not in known]
                if new:
                    conn.execute(insert(deliveries), new)
        except IntegrityError:  # another process recorded one meanwhile: one at a time, then
            return [key for key, payload in rows if self.open(key, payload, now)]
        return [row["key"] for row in new]

    def beat(self, held: list[tuple[str, int]], now: float) -> None:
        """Renew the lease of messages being sent: their worker is alive and still sending."""
        with self.engine.begin() as conn:
            for key, attempt in held:
                conn.execute(update(deliveries)
                             .where(and_(deliveries.c.key == key, deliveries.c.state == SENDING,
                                         deliveries.c.attempts == attempt))
                             .values(updated_at=now))

    def earlier_unsettled(self, conversation: str, place: list[int]) -> list[dict]:
        """Return the replies of a conversation queued before `place` and not yet settled.

        Reply keys start with their session's id and a dot, so they are one range of the key
        index; a conversation has few unsettled replies at a time.
        """
        query = (select(deliveries.c.key, deliveries.c.payload, deliveries.c.state,
                        deliveries.c.due_at)
                 .where(and_(deliveries.c.key >= conversation + ".",
                             deliveries.c.key < conversation + "/",
                             deliveries.c.state.not_in(FINAL))))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        earlier = []
        for row in rows:
            payload = json.loads(row["payload"])
            if payload.get("conversation") == conversation and \
                    list(payload.get("place") or ()) < list(place):
                earlier.append({**row, "payload": payload})
        return earlier

    def get(self, key: str) -> dict | None:
        """Return a message's row, its payload decoded, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(deliveries).where(deliveries.c.key == key)).mappings().first()
        return _decoded(row) if row is not None else None

    def claim(self, key: str, payload: dict, lease_s: float, now: float) -> int | None:
        """Mark a message as being sent and return the attempt's number; None when it must not be.

        Not to be sent: delivered or failed already, or being sent by another worker whose lease
        has not run out. A task whose key was never opened (its producer's database is elsewhere)
        is recorded here first.
        """
        row = self.get(key)
        if row is None:
            self.open(key, payload, now)
            row = self.get(key)
            if row is None:
                return None
        if row["state"] in FINAL:
            return None
        if row["state"] == SENDING and row["updated_at"] > now - lease_s:
            return None
        attempt = row["attempts"] + 1
        moved = self._move(key, (row["state"], row["attempts"]),
                           {"state": SENDING, "attempts": attempt, "updated_at": now})
        return attempt if moved else None

    def unclaim(self, key: str, attempt: int, due_at: float, now: float) -> bool:
        """Give back a claim that sent nothing (the message must wait): pending, the attempt
        not counted, due at `due_at`."""
        return self._move(key, (SENDING, attempt), {"state": PENDING, "attempts": attempt - 1,
                                                    "updated_at": now, "due_at": due_at})

    def delivered(self, key: str, attempt: int, now: float, segments: int | None = None) -> bool:
        """Record that the attempt delivered the message (an SMS: in how many segments)."""
        return self._move(key, (SENDING, attempt), {"state": DELIVERED, "updated_at": now,
                                                    "delivered_at": now, "last_error": None,
                                                    "segments": segments})

    def opted_out(self, key: str, attempt: int, reason: str, now: float) -> bool:
        """Record that the message was not sent because its recipient opted out, and why."""
        return self._move(key, (SENDING, attempt),
                          {"state": OPTED_OUT, "last_error": reason, "updated_at": now})

    def retry(self, key: str, attempt: int, error: str, due_at: float, now: float) -> bool:
        """Record a failed attempt that will be retried at `due_at`."""
        return self._move(key, (SENDING, attempt), {"state": PENDING, "last_error": error,
                                                    "updated_at": now, "due_at": due_at})

    def fail(self, key: str, attempt: int, error: str, now: float, state: str = SENDING) -> bool:
        """Record that the message will not be delivered, and why."""
        return self._move(key, (state, attempt),
                          {"state": FAILED, "last_error": error, "updated_at": now})

    def release(self, key: str, state: str, attempts: int, error: str, now: float) -> bool:
        """Put an interrupted or overdue message back to pending, due now."""
        return self._move(key, (state, attempts), {"state": PENDING, "last_error": error,
                                                   "updated_at": now, "due_at": now})

    def forget(self, key: str) -> None:
        """Remove a message that never reached the queue, so the same step may try again."""
        with self.engine.begin() as conn:
            conn.execute(delete(deliveries).where(and_(deliveries.c.key == key,
                                                       deliveries.c.state == PENDING,
                                                       deliveries.c.attempts == 0)))

    def stuck(self, lease_s: float, now: float, limit: int = 1000,
              overdue_s: float | None = None) -> list[dict]:
        """Return messages whose attempt outlived its lease, or whose due attempt never started
        within `overdue_s` (the lease when not given)."""
        late = now - lease_s
        overdue = now - (lease_s if overdue_s is None else overdue_s)
        query = (select(deliveries)
                 .where(or_(and_(deliveries.c.state == SENDING, deliveries.c.updated_at < late),
                            and_(deliveries.c.state == PENDING, deliveries.c.due_at < overdue)))
                 .order_by(deliveries.c.due_at, deliveries.c.key).limit(limit))
        with self.engine.connect() as conn:
            return [_decoded(row) for row in conn.execute(query).mappings()]

    def _move(self, key: str, was: tuple[str, int], values: dict[str, Any]) -> bool:
        """Change a row only if it still has the expected (state, attempts)."""
        state, attempts = was
        with self.engine.begin() as conn:
            result = conn.execute(update(deliveries)
                                  .where(and_(deliveries.c.key == key,
                                              deliveries.c.state == state,
                                              deliveries.c.attempts == attempts))
                                  .values(values))
        return result.rowcount == 1


def _row(key: str, payload: dict, now: float) -> dict:
    """Return a new pending row of the ledger."""
    return {"key": key, "channel": str(payload.get("channel", "")),
            "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True),
            "state": PENDING, "attempts": 0, "created_at": now, "updated_at": now, "due_at": now}


def _decoded(row: Any) -> dict:
    """Return a row as a dict with its payload parsed."""
    return {**row, "payload": json.loads(row["payload"])}
