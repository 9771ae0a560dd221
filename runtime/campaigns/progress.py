"""Campaigns: one flow started for a list of contacts, a few at a time, inside a time window.

A campaign's rows live in the execution-log database beside the steps. `advance` is the one
function that moves a campaign on; it may run in several workers at once, so every contact is
claimed with a conditional UPDATE (pending -> started, only while fewer than `concurrency` are
in flight) before its conversation starts, and a contact is never started twice.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Engine

from runtime.errors import EngineError
from runtime.records.schema import campaign_contacts as contacts_table
from runtime.records.schema import campaigns as campaigns_table
from runtime.messaging.optouts import OptedOut
from runtime.messaging.replies import require

from .window import inside, next_opening

STATES = ("pending", "started", "done", "failed")
# A contact claimed this long ago without an execution lost its worker between the claim and the
# start; whether its first message went out is unknown, so it is failed, never started again.
CLAIM_LEASE_S = 300.0


class CampaignNotFound(EngineError):
    """No campaign has this id."""

    code = "campaign_not_found"


def engine_of(runtime: Any) -> Engine:
    """Return the engine of a runtime's records database, where campaigns are kept."""
    if runtime.records is None:
        raise EngineError("campaigns need the records database (Runtime.open opens it)")
    return runtime.records.engine


def create(engine: Engine, flow_id: str, channel: str, contacts: list[dict], *,
           concurrency: int, sender: str | None = None, window: dict | None = None,
           now: float | None = None) -> str:
    """Store a running campaign and its pending contacts; return its id."""
    campaign_id = uuid.uuid4().hex
    at = time.time() if now is None else now
    with engine.begin() as conn:
        conn.execute(insert(campaigns_table).values({
            "id": campaign_id, "flow_id": flow_id, "channel": channel, "from": sender,
            "concurrency": concurrency, "window": json.dumps(window) if window else None,
            "status": "running", "created_at": at}))
        conn.execute(insert(contacts_table), [
            {"campaign_id": campaign_id, "idx": idx, "to": contact["to"],
             "vars": json.dumps(contact.get("vars") or {}), "state": "pending",
             "updated_at": at} for idx, contact in enumerate(contacts)])
    return campaign_id


def launch(runtime: Any, flow_id: str, channel: str, contacts: list[dict], *,
           concurrency: int, sender: str | None = None, window: dict | None = None) -> dict:
    """Check the flow and channel, store a campaign and queue its first advance."""
    runtime.workspace.flow(flow_id)  # FlowNotFound before anything is stored
    require(runtime.workspace.settings, channel)
    engine = engine_of(runtime)
    campaign_id = create(engine, flow_id, channel, contacts, concurrency=concurrency,
                         sender=sender, window=window)
    runtime.enqueue("campaign", {"campaign": campaign_id}, campaign_id)
    return {"campaign": campaign_id, "status": _campaign(engine, campaign_id)["status"]}


def _campaign(engine: Engine, campaign_id: str) -> dict:
    """Return a campaign's row; raise CampaignNotFound."""
    with engine.connect() as conn:
        row = conn.execute(select(campaigns_table).where(campaigns_table.c.id == campaign_id)
                           ).mappings().first()
    if row is None:
        raise CampaignNotFound(f"no campaign {campaign_id!r}")
    return {**row, "window": json.loads(row["window"]) if row["window"] else None}


def status(engine: Engine, campaign_id: str) -> dict:
    """Return a campaign: its flow, status, counts per state and every contact's result."""
    campaign = _campaign(engine, campaign_id)
    with engine.connect() as conn:
        rows = conn.execute(select(contacts_table)
                            .where(contacts_table.c.campaign_id == campaign_id)
                            .order_by(contacts_table.c.idx)).mappings().all()
    counts = dict.fromkeys(STATES, 0)
    for row in rows:
        counts[row["state"]] += 1
    return {"id": campaign_id, "flow": campaign["flow_id"], "channel": campaign["channel"],
            "status": campaign["status"], "concurrency": campaign["concurrency"],
            "window": campaign["window"], "counts": counts,
            "contacts": [{"to": row["to"], "state": row["state"], "execution": row["execution"],
                          "disposition": row["disposition"], "error": row["error"]}
                         for row in rows]}


def cancel(engine: Engine, campaign_id: str) -> dict:
    """Stop a running campaign from starting more contacts; return its status."""
    _campaign(engine, campaign_id)
    with engine.begin() as conn:
        conn.execute(update(campaigns_table).where(and_(campaigns_table.c.id == campaign_id,
                                                        campaigns_table.c.status == "running"))
                     .values(status="cancelled"))
    return status(engine, campaign_id)


# --- moving a campaign on ---------------------------------------------------------------------

def advance(runtime: Any, campaign_id: str, now: datetime) -> dict:
    """Refresh started contacts, start pending ones up to the concurrency, finish when all ran.

    Does nothing outside the window. Returns {status, inside, started, next_at}: `next_at` is
    the next window opening when outside it.
    """
    engine = engine_of(runtime)
    campaign = _campaign(engine, campaign_id)
    window = campaign["window"]
    result = {"status": campaign["status"], "inside": inside(window, now), "started": 0,
              "next_at": None}
    if campaign["status"] != "running":
        return result
    if not result["inside"]:
        result["next_at"] = next_opening(window, now)
        return result
    _refresh(runtime, engine, campaign_id)
    for row in _pending(engine, campaign_id, campaign["concurrency"]):
        if not _claim(engine, campaign_id, row["idx"], campaign["concurrency"]):
            continue  # another advance took it, or the campaign is full
        _start(runtime, engine, campaign, row)
        result["started"] += 1
    result["status"] = _finish(engine, campaign_id)
    return result


def _refresh(runtime: Any, engine: Engine, campaign_id: str) -> None:
    """Mark started contacts whose sessions ended as done, with the session's disposition.

    A claim whose worker died before starting it (no execution past CLAIM_LEASE_S) is failed.
    """
    c = contacts_table.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.idx, c.execution, c.updated_at).where(and_(
            c.campaign_id == campaign_id, c.state == "started"))).all()
    for idx, execution, updated_at in rows:
        session = runtime.sessions.get(execution) if execution else None
        if execution is None:
            if updated_at < time.time() - CLAIM_LEASE_S:
                _settle(engine, campaign_id, idx, "failed",
                        error="interrupted: the worker stopped between the claim and the start")
        elif session is None:
            _settle(engine, campaign_id, idx, "failed", error="the session no longer exists")
        elif session.status == "ended":
            _settle(engine, campaign_id, idx, "done", disposition=session.disposition)


def _pending(engine: Engine, campaign_id: str, concurrency: int) -> list[dict]:
    """Return the next pending contacts, as many as there are free places."""
    c = contacts_table.c
    with engine.connect() as conn:
        in_flight = conn.execute(select(func.count()).where(and_(
            c.campaign_id == campaign_id, c.state == "started"))).scalar()
        free = concurrency - in_flight
        if free <= 0:
            return []
        return [dict(row) for row in conn.execute(
            select(contacts_table).where(and_(c.campaign_id == campaign_id, c.state == "pending"))
            .order_by(c.idx).limit(free)).mappings()]


def _claim(engine: Engine, campaign_id: str, idx: int, concurrency: int) -> bool:
    """Move one contact from pending to started, only while the campaign runs and has room."""
    c = contacts_table.c
    in_flight = (select(func.count()).select_from(contacts_table)
                 .where(and_(c.campaign_id == campaign_id, c.state == "started"))
                 .scalar_subquery())
    running = (select(func.count()).select_from(campaigns_table)
               .where(and_(campaigns_table.c.id == campaign_id,
                           campaigns_table.c.status == "running")).scalar_subquery())
    with engine.begin() as conn:
        claimed = conn.execute(update(contacts_table).where(and_(
            c.campaign_id == campaign_id, c.idx == idx, c.state == "pending",
            in_flight < concurrency, running == 1)).values(state="started",
                                                          updated_at=time.time()))
    return claimed.rowcount == 1


def _start(runtime: Any, engine: Engine, campaign: dict, row: dict) -> None:
    """Start a claimed contact's conversation; a failure marks the contact failed."""
    try:
        started = runtime.start_execution(campaign["flow_id"], campaign["channel"], row["to"],
                                          sender=campaign["from"], vars=json.loads(row["vars"]))
    except OptedOut as exc:  # skipped, not failed: the contact asked for nothing more
        _settle(engine, campaign["id"], row["idx"], "done", disposition="opted_out",
                error=str(exc))
        return
    except Exception as exc:  # one contact's failure must not stop the campaign
        _settle(engine, campaign["id"], row["idx"], "failed",
                error=f"{type(exc).__name__}: {exc}")
        return
    if started["status"] == "ended":
        _settle(engine, campaign["id"], row["idx"], "done", execution=started["execution"],
                disposition=started["disposition"])
    else:
        _settle(engine, campaign["id"], row["idx"], "started", execution=started["execution"])


def _settle(engine: Engine, campaign_id: str, idx: int, state: str, **values: Any) -> None:
    """Write a contact's new state and result."""
    c = contacts_table.c
    with engine.begin() as conn:
        conn.execute(update(contacts_table).where(and_(c.campaign_id == campaign_id,
                                                       c.idx == idx))
                     .values(state=state, updated_at=time.time(), **values))


def _finish(engine: Engine, campaign_id: str) -> str:
    """Mark a running campaign done when no contact is pending or started; return its status."""
    c = contacts_table.c
    open_rows = (select(func.count()).select_from(contacts_table)
                 .where(and_(c.campaign_id == campaign_id, c.state.in_(("pending", "started"))))
                 .scalar_subquery())
    with engine.begin() as conn:
        conn.execute(update(campaigns_table).where(and_(
            campaigns_table.c.id == campaign_id, campaigns_table.c.status == "running",
            open_rows == 0)).values(status="done"))
    return _campaign(engine, campaign_id)["status"]


__all__ = ["CampaignNotFound", "advance", "cancel", "create", "engine_of", "launch", "status"]
