"""The SMTP receiver: aiosmtpd on one asyncio loop, each accepted mail handed to a MailReceiver.

Recipients are checked at RCPT (a mailbox no route takes is refused with 550, so the sending
server bounces it to its author at once), the DATA size is capped (552 over it), and a mail is
acknowledged (250) only once its turn ran and its answer is queued: a failure before the turn
ran (a store that is down) answers 451, and the sending server offers the mail again later.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

from aiosmtpd.smtp import SMTP, Envelope, Session

from runtime.engine.threadloop import close_thread_loop, run_sync

from .receiver import MailReceiver

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 10.0
TURN_THREADS = 4  # mails of different conversations handled at once


class TurnThreads:
    """A few threads that run mails' turns, each on its own event loop, closed when they end.

    A turn drives the engine synchronously (Runtime.inbound) and may wait on a flow's HTTP
    call: it never runs on the SMTP server's loop. Each thread keeps its loop and HTTP client
    from mail to mail, and closes both when the server stops.
    """

    def __init__(self, runtime: Any, size: int = TURN_THREADS) -> None:
        self.runtime = runtime
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._serve, name=f"callwright-mail-{n}",
                                          daemon=True) for n in range(size)]
        for thread in self._threads:
            thread.start()

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run a function on one of the threads and wait for its result without blocking."""
        future: Future = Future()
        self._work.put((future, function, args))
        return await asyncio.wrap_future(future)

    def _serve(self) -> None:
        """Run work until told to stop, then close this thread's HTTP client and loop."""
        while True:
            item = self._work.get()
            if item is None:
                break
            future, function, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function(*args))
            except BaseException as exc:  # handed to the awaiting handler, which logs it
                future.set_exception(exc)
        close_http = getattr(self.runtime, "close_http", None)
        if close_http is not None:
            run_sync(close_http())
        close_thread_loop()

    def stop(self) -> None:
        """Let the threads finish the work they hold, then end them."""
        for _ in self._threads:
            self._work.put(None)
        for thread in self._threads:
            thread.join(READY_TIMEOUT_S)


class MailHandler:
    """aiosmtpd's handler: refuse unrouted recipients, run each mail on a thread."""

    def __init__(self, receiver: MailReceiver, threads: TurnThreads) -> None:
        self.receiver = receiver
        self.threads = threads

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        """Accept a recipient that routes.json's `email` table takes; refuse any other (550)."""
        if not self.receiver.routed(address):
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Run the mail's turn and queue its answer; 451 when it must be offered again."""
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        try:
            # a turn may wait on a flow's HTTP call or a store across the network: never here
            outcome = await self.threads.run(self.receiver.receive, envelope.mail_from or "",
                                             list(envelope.rcpt_tos), data)
        except Exception:
            log.exception("mail from %r to %s was not handled; asked to send it again later",
                          envelope.mail_from, envelope.rcpt_tos)
            return "451 4.3.0 not handled now, try again later"
        # a turn that ran but whose answer could not be queued ("failed", logged) is still
        # acknowledged: the mail's id is claimed, so offering it again would change nothing
        log.debug("mail from %r: %s", envelope.mail_from, outcome.status)
        return "250 2.0.0 OK"


class MailServer:
    """An SMTP server on host:port in a thread of its own; port 0 picks a free port."""

    def __init__(self, receiver: MailReceiver, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.receiver = receiver
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._threads: TurnThreads | None = None

    def _protocol(self) -> SMTP:
        """Return the SMTP protocol serving one connection."""
        return SMTP(MailHandler(self.receiver, self._threads), data_size_limit=self.receiver.limits.message_bytes,
                    enable_SMTPUTF8=True, hostname="callwright", ident="Callwright",
                    timeout=60, loop=self._loop)

    def start(self) -> MailServer:
        """Listen and serve in a thread; return once listening (raise OSError if the address is taken)."""
        self._threads = TurnThreads(self.receiver.runtime)
        self._thread = threading.Thread(target=self._run, name="callwright-smtp", daemon=True)
        self._thread.start()
        self._ready.wait(READY_TIMEOUT_S)
        if self._error is not None:
            self._threads.stop()
            raise self._error
        return self

    def _run(self) -> None:
        """Run the server's loop until `stop`."""
        loop = self._loop = asyncio.new_event_loop()
        try:
            self._server = loop.run_until_complete(
                loop.create_server(self._protocol, self.host, self.port))
            self.port = self._server.sockets[0].getsockname()[1]
        except BaseException as exc:  # an address in use, a host that does not resolve
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

    def stop(self) -> None:
        """Stop listening and end the server's thread."""
        loop = self._loop
        if loop is not None and self._thread is not None and self._thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(READY_TIMEOUT_S)
        if self._threads is not None:
            self._threads.stop()
            self._threads = None

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
