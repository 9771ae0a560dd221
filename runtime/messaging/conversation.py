"""Inbound messages: route -> the contact's conversation (found or started) -> turn -> replies out.

Every messaging channel takes a message the same way, through `Conversations`, and differs only
where its `InboundChannel` says so: how a message finds its flow and its session, what the lock
of its conversation is called, and how the replies leave. A turn of a conversation runs under
that conversation's lock (`SessionStore.locks`), so two messages of one contact, arriving at the
same instant on two processes, run one after the other and neither is lost; the replies are
queued under the lock too, so the second turn's come after the first's.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from blocks.sdk import BlockError
from runtime.channels import channel_named
from runtime.engine import Turn
from runtime.engine.threadloop import run_sync
from runtime.errors import NoRoute, SessionEnded, SessionNotFound
from runtime.sessions import Session, SessionStore
from runtime.workspace import Workspace

from .keywords import KEYWORD_CHANNELS, START, STOP, keyword_of, keyword_reply, keyword_word
from .optouts import OptOuts
from .replies import MESSAGE_CHANNELS, reply_messages, require, root_flow

log = logging.getLogger(__name__)


class Host(Protocol):
    """What the inbound path needs of the runtime that runs the turns."""

    workspace: Workspace
    sessions: SessionStore

    @property
    def optouts(self) -> OptOuts: ...

    async def begin(self, flow: Any, channel: str, trigger: dict, contact: dict,
                    replies: list[dict], vars: dict | None = None) -> Turn: ...

    async def resume(self, session: Session, text: str, replies: list[dict],
                     channel: str | None = None) -> Turn: ...

    def enqueue(self, task: str, payload: dict, key: str) -> str: ...

    def enqueue_all(self, task: str, jobs: list[tuple[dict, str]]) -> None: ...

    def notify(self, session: Session) -> None: ...


@dataclass(frozen=True)
class Message:
    """One inbound message: who wrote to which address, what, under which id of the sender's.

    `extra` carries what a channel adds (an e-mail's headers); the base ignores it.
    """

    channel: str
    sender: str
    to: str
    text: str
    message_id: str | None = None
    extra: dict = field(default_factory=dict)


class InboundChannel:
    """How one medium's messages reach a flow's conversation and how its replies leave.

    Subclasses override what differs: `route` (which flow an address runs), `find` (the open
    session a message continues), `lock_name` (what serialises the conversation's turns; it
    must name the same conversation `find` would find), `trigger` (what a new session learns of
    the message that opened it), `variables` (what every message sets in the session before
    its turn) and `deliver` (how a turn's replies go out). A subclass is made
    known with `register_inbound`.
    """

    name = ""
    keywords = False  # STOP, START and HELP are answered before any turn (SMS)

    def route(self, workspace: Workspace, message: Message) -> str | None:
        """Return the flow routed for the message's address (routes.json), or None."""
        return workspace.route(message.channel, message.to)

    def lock_name(self, message: Message, flow_id: str) -> str:
        """Return the name of the lock of the message's conversation."""
        return json.dumps([message.channel, message.sender, flow_id], ensure_ascii=False)

    def find(self, sessions: SessionStore, message: Message, flow_id: str) -> Session | None:
        """Return the waiting session of the sender on this channel and flow, if there is one."""
        session_id = sessions.open_session(message.channel, message.sender, flow_id)
        session = sessions.get(session_id) if session_id else None
        # the index may lag behind a crash: trust only a session that still waits for the sender
        return session if waits_for(session, message, flow_id) else None

    def trigger(self, message: Message) -> tuple[dict, dict]:
        """Return the trigger and contact of a session this message starts."""
        return ({"channel": message.channel, "from": message.sender, "to": message.to,
                 "text": message.text}, {"from": message.sender, "to": message.to})

    def variables(self, message: Message) -> dict | None:
        """Return variables the message gives its session (set before its turn), or None."""
        return None

    def deliver(self, host: Host, session: Session, replies: list[dict],
                message: Message) -> str | None:
        """Queue the turn's replies to the sender, each as one message (`send` tasks); return
        what became of them when the channel tells (its answer's `delivery`), else None."""
        queue_replies(host, session, replies, message.sender, message.to)
        return None


def waits_for(session: Session | None, message: Message, flow_id: str) -> bool:
    """Say whether a session is one of the flow's, on the message's channel, waiting for its
    sender: the only session a message may continue."""
    return (session is not None and session.status == "waiting"
            and session.channel == message.channel
            and session.contact.get("from") == message.sender and root_flow(session) == flow_id)


class SmsInbound(InboundChannel):
    """SMS: replies through the gateway; STOP, START and HELP answered before any flow."""

    name = "sms"
    keywords = True


class WebhookInbound(InboundChannel):
    """The generic webhook of messenger adapters: replies POSTed signed to [webhooks] url."""

    name = "webhook"


_INBOUND: dict[str, InboundChannel] = {}


def register_inbound(channel: InboundChannel) -> None:
    """Make a channel's inbound messages handled by `channel` (one per channel name)."""
    _INBOUND[channel.name] = channel


def inbound_channel(name: str) -> InboundChannel:
    """Return the inbound handling of a channel; a channel without one gets the base's."""
    found = _INBOUND.get(name)
    if found is None:
        found = InboundChannel()
        found.name = name
        found.keywords = name in KEYWORD_CHANNELS
    return found


register_inbound(SmsInbound())
register_inbound(WebhookInbound())


class Conversations:
    """Takes the inbound messages and chat turns of a runtime's contacts, one turn at a time."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def receive(self, message: Message) -> dict:
        """Take a message from a contact: continue their open conversation or start one.

        A message id seen before causes nothing and answers `duplicate`. On SMS a keyword alone
        (STOP, START, HELP and their synonyms) runs no turn: it is answered here, routed or not.
        """
        channel = inbound_channel(message.channel)
        host = self.host
        keyword = keyword_of(message.text) if channel.keywords else None
        flow_id = channel.route(host.workspace, message)
        if flow_id is None and keyword is None:
            raise NoRoute(f"no {message.channel} route for {message.to!r}: add it (or \"*\") to "
                          f"the {message.channel!r} table of routes.json")
        require(host.workspace.settings, message.channel)
        message_id = None
        if message.message_id is not None:
            # ids are the sender's own: two senders may both send a message "1"
            message_id = json.dumps([message.sender, message.message_id], ensure_ascii=False)
            seen = host.sessions.claim_message(message.channel, message_id)
            if seen is not None:
                known = host.sessions.get(seen) if seen else None
                return {"session": seen or None, "replies": [], "duplicate": True,
                        "ended": known is not None and known.status == "ended"}
        try:
            if keyword is not None:
                answer = self._keyword(message, keyword, message_id)
                if message_id is not None:
                    host.sessions.settle_message(message.channel, message_id, "")  # no session
                return answer
            with host.sessions.locks.hold(channel.lock_name(message, flow_id)):
                turn, replies = self._turn(channel, message, flow_id)
                if message_id is not None:
                    host.sessions.settle_message(message.channel, message_id, turn.session.id)
                delivery = channel.deliver(host, turn.session, replies, message)
        except BaseException:
            if message_id is not None:  # nothing changed: the sender's redelivery may try again
                host.sessions.settle_message(message.channel, message_id, None)
            raise
        host.notify(turn.session)
        answer = {"session": turn.session.id, "replies": replies, "ended": turn.ended,
                  "duplicate": False}
        if delivery is not None:
            answer["delivery"] = delivery
        return answer

    def _turn(self, channel: InboundChannel, message: Message,
              flow_id: str) -> tuple[Turn, list[dict]]:
        """Run the message's turn in its conversation (found or started); return it and replies."""
        host = self.host
        replies: list[dict] = []
        session = channel.find(host.sessions, message, flow_id)
        variables = channel.variables(message)
        if session is None:
            trigger, contact = channel.trigger(message)
            turn = run_sync(host.begin(host.workspace.flow(flow_id), message.channel, trigger,
                                       contact, replies, variables))
        else:
            session.vars.update(variables or {})
            turn = run_sync(host.resume(session, message.text, replies))
        return turn, replies

    async def chat(self, flow_id: str, session_id: str | None, text: str, channel: str = "chat",
                   sender: str | None = None) -> dict:
        """Take one chat message; return the replies up to the next wait or the end.

        The session is named by the client: a turn of a known session runs under that session's
        lock, so a double-clicked send runs two turns one after the other, not one of them twice.
        """
        host = self.host
        replies: list[dict] = []
        if session_id is None:
            flow = host.workspace.flow(flow_id)
            trigger = {"channel": channel, "from": sender, "to": flow_id, "text": text}
            contact = {"from": sender, "to": flow_id} if sender else {"to": flow_id}
            turn = await host.begin(flow, channel, trigger, contact, replies)
        else:
            async with host.sessions.locks.hold_async(json.dumps(["session", session_id])):
                session = await host.sessions.from_loop(host.sessions.get, session_id)
                # a session belongs to the channel it was opened on: one opened by a webhook or
                # an execution elsewhere is, to this channel, a session that does not exist; nor
                # is the editor's simulation of a draft a contact's conversation
                if session is None or root_flow(session) != flow_id or \
                        session.channel != channel or session.trigger.get("simulation"):
                    raise SessionNotFound(f"no session {session_id!r} for flow {flow_id!r}")
                if session.status == "ended":
                    raise SessionEnded(f"session {session_id!r} has ended "
                                       f"({session.disposition})")
                turn = await host.resume(session, text, replies, channel)
        if turn.session.callback:
            await asyncio.to_thread(host.notify, turn.session)
        return {"session": turn.session.id, "replies": replies, "ended": turn.ended}

    def _keyword(self, message: Message, keyword: str, message_id: str | None) -> dict:
        """Opt a number out (STOP) or in (START), and answer it; HELP is only answered."""
        host, channel, sender = self.host, message.channel, message.sender
        if keyword == STOP:
            host.optouts.opt_out(channel, sender, keyword_word(message.text))
        elif keyword == START:
            host.optouts.opt_in(channel, sender, keyword_word(message.text))
        log.info("%s %s from %s", channel, keyword_word(message.text), sender)
        reply = keyword_reply(host.workspace.settings, keyword, message.text)
        answer = {"session": None, "replies": [], "ended": False, "duplicate": False,
                  "keyword": keyword}
        if not reply:
            return answer
        # `keyword` lets the answer through to a number that has just opted out; the key is the
        # message's own, so a redelivery after a crash answers once. Queueing is not after a
        # turn: when it fails, the message fails and its redelivery answers.
        origin = (message_id or uuid.uuid4().hex).encode("utf-8", "surrogatepass")
        key = f"{keyword}.{hashlib.sha256(origin).hexdigest()[:40]}"
        payload = {"channel": channel, "to": sender, "from": message.to, "text": reply,
                   "keyword": keyword}
        try:
            host.enqueue("send", payload, key)
        except BlockError as exc:  # the configured text cannot go as an SMS; the keyword counts
            log.error("the answer to %s from %s is not sent: %s (see [sms] %s_text)",
                      keyword_word(message.text), sender, exc, keyword)
            return answer
        answer["replies"].append(channel_named(channel).render({"event": "say", "text": reply}))
        return answer


def queue_replies(host: Host, session: Session, replies: list[dict], to: str,
                  ours: str | None) -> None:
    """Queue each reply of a turn on a messaging channel as one message (chat: none).

    All of a turn's replies are queued at once: one write to the ledger and the queue, not one
    per reply. The turn has happened, so a failure is logged, not raised.
    """
    if session.channel not in MESSAGE_CHANNELS:
        return
    jobs = list(reply_messages(session, replies, to, ours))
    if not jobs:
        return
    try:
        host.enqueue_all("send", jobs)
    except Exception:  # the session has moved on: say loudly what was not queued
        log.exception("the replies %s of session %s could not be queued",
                      ", ".join(key for _, key in jobs), session.id)


__all__ = ["Conversations", "Host", "InboundChannel", "Message", "SmsInbound", "WebhookInbound",
           "inbound_channel", "queue_replies", "register_inbound", "waits_for"]
