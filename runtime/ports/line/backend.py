"""The line backend: extensions registered on an existing PBX or SIP trunk, through pyVoIP.

`LineBackend` registers each extension of `[line] extensions` on `[line] server` with pyVoIP
1.6.8 (the `pyvoip` extra, GPL-3.0, never installed by default) and has one port per
extension: pyVoIP carries about 50 calls a process, and an extension one call at a time. A
call arriving on an extension is routed by the extension's `number`, else by the number the
caller dialled (the To header's user part), and offered like every inbound call; when that is
refused (no flow for the number, no free port) or the extension already has a call, pyVoIP
answers 486, the one refusal it knows. Outbound calls go out from an idle extension.

pyVoIP sends every request and reply to the server it registered with, so calls must come
through that registrar's proxy; it does not transfer (no REFER) and answers no CANCEL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from blocks.sdk import ConfigurationError
from runtime.errors import EngineError
from runtime.media import MediaLibrary

from ..port import NULL, CallInfo, Inbound, PortBackend
from .port import LinePort, PhoneCall, PromptSource

log = logging.getLogger(__name__)
PYVOIP_PIN = "pyVoIP==1.6.8"
DEFAULT_LOCAL_HOST = "127.0.0.1"
DEFAULT_RTP_PORTS = (10000, 20000)
DEFAULT_REGISTER_TIMEOUT_S = 15.0
POLL_S = 0.05  # how often a dialled call's state is looked at
TRIM_S = 5.0  # how often pyVoIP is made to let go of the audio its calls have kept


class LineRegistrationFailed(EngineError):
    """An extension could not be registered: the line backend takes no calls."""

    code = "line_registration_failed"


@dataclass(frozen=True, slots=True)
class Extension:
    """One extension of `[line] extensions`: who it registers as and how its calls are routed."""

    user: str
    password: str = ""
    number: str = ""  # routes its calls ("": the number the caller dialled)
    local_port: int = 0  # its SIP socket (0: a free one, chosen at start)


def pyvoip() -> ModuleType:
    """Return the module that drives pyVoIP; raise ConfigurationError when it is not installed."""
    try:
        from . import phone
    except ImportError as exc:
        raise ConfigurationError(f"the line backend needs pyVoIP, which is not installed "
                                 f"({exc.name or exc}): pip install callwright[pyvoip] "
                                 f"(or {PYVOIP_PIN}; GPL-3.0)") from None
    return phone


def _password(extension: Mapping[str, Any]) -> str:
    """Return an extension's password: `password`, or the variable `password_env` names."""
    name = extension.get("password_env")
    if not name:
        return str(extension.get("password", ""))
    if name not in os.environ:
        raise ConfigurationError(f"[line] extension {extension['user']}: its password_env "
                                 f"{name} is not set in the environment")
    return os.environ[name]


def split_server(value: str) -> tuple[str, int]:
    """Return (host, port) of `HOST[:PORT]` (port 5060 when left out); raise ValueError."""
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = value, "5060"
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"[line] server {value!r} is not HOST:PORT (for example "
                         f"pbx.example.com:5060)")
    return host, int(port)


def free_udp_port(host: str) -> int:
    """Return a UDP port free on `host` right now (pyVoIP names its port in Contact: not 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LineBackend(PortBackend):
    """Registers `extensions` on `server` and answers their calls, one port per extension."""

    name = "line"

    def __init__(self, server: str, extensions: Sequence[Extension], *, prompts: PromptSource,
                 local_host: str = DEFAULT_LOCAL_HOST,
                 rtp_ports: tuple[int, int] = DEFAULT_RTP_PORTS,
                 register_timeout_s: float = DEFAULT_REGISTER_TIMEOUT_S) -> None:
        """Check the extensions and the RTP range; the phones are made at start."""
        super().__init__()
        self.phone_module = pyvoip()
        if not extensions:
            raise ConfigurationError("[line] extensions lists none: the line backend needs one "
                                     "or more")
        users = [e.user for e in extensions]
        if len(set(users)) != len(users):
            raise ConfigurationError(f"[line] extensions repeat a user: {users}")
        low, high = rtp_ports
        if high - low + 1 < len(extensions):
            raise ConfigurationError(f"[line] rtp_ports {low}-{high} cannot give each of the "
                                     f"{len(extensions)} extensions a port")
        self.server = split_server(server)
        self.extensions = list(extensions)
        self.local_host = local_host
        self.rtp_ports = (low, high)
        self.register_timeout_s = register_timeout_s
        self.prompts = prompts
        self.ports = [LinePort(f"line{n}", self) for n in range(1, len(extensions) + 1)]
        self._inbound: Inbound | None = None
        self._phones: dict[str, Any] = {}  # user -> its LinePhone, once registered
        self._busy: set[str] = set()  # users whose extension has a call
        self._by_call: dict[str, LinePort] = {}  # Call-ID -> the port its call is on
        self._trim: asyncio.TimerHandle | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], root: Path) -> LineBackend:
        """Build the backend from `[line]`, speaking through the workspace's prompt library."""
        pyvoip()  # without it, nothing else about the settings matters yet
        line = settings.get("line", {})
        if not line.get("server") or not line.get("extensions"):
            raise ConfigurationError("the line backend needs [line] server and [line] "
                                     "extensions in callwright.toml")
        extensions = [Extension(str(e["user"]), _password(e), str(e.get("number", "")),
                                int(e.get("local_port", 0)))
                      for e in line["extensions"]]
        return cls(line["server"], extensions, prompts=MediaLibrary(root, settings),
                   local_host=line.get("local_host", DEFAULT_LOCAL_HOST),
                   rtp_ports=tuple(line.get("rtp_ports", DEFAULT_RTP_PORTS)),
                   register_timeout_s=line.get("register_timeout_s",
                                               DEFAULT_REGISTER_TIMEOUT_S))

    @property
    def address(self) -> str:
        """Say which extensions register where (`sip:2001,2002@pbx:5060`)."""
        host, port = self.server
        return f"sip:{','.join(e.user for e in self.extensions)}@{host}:{port}"

    async def start(self, inbound: Inbound) -> None:
        """Register every extension at once; if one is refused, unregister the others, raise."""
        self._inbound = inbound
        loop = asyncio.get_running_loop()
        phones = [self._phone(n, extension, loop) for n, extension in enumerate(self.extensions)]
        results = await asyncio.gather(
            *(asyncio.to_thread(p.register, self.register_timeout_s) for p in phones),
            return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        registered = [p for p, r in zip(phones, results) if not isinstance(r, BaseException)]
        if failed:
            await asyncio.gather(*(asyncio.to_thread(p.unregister) for p in registered))
            raise LineRegistrationFailed(f"cannot register on {self.address}: "
                                         f"{'; '.join(str(f) for f in failed)}")
        self._phones = {p.user: p for p in phones}
        self._trim = loop.call_later(TRIM_S, self._trim_calls)

    def _phone(self, n: int, extension: Extension, loop: asyncio.AbstractEventLoop) -> Any:
        """Make the pyVoIP phone of the `n`th extension, with its share of the RTP ports."""
        low, high = self.rtp_ports
        share = (high - low + 1) // len(self.extensions)
        account = self.phone_module.Account(
            extension.user, extension.password, self.local_host,
            extension.local_port or free_udp_port(self.local_host),
            low + n * share, low + (n + 1) * share - 1)
        return self.phone_module.LinePhone(self.server, account, self, loop,
                                           number=extension.number)

    async def stop(self) -> None:
        """Hang up every call and unregister every extension."""
        if self._trim is not None:
            self._trim.cancel()
        for port in self.ports:
            if port.state != NULL:
                await port.hangup()
        phones, self._phones = list(self._phones.values()), {}
        await asyncio.gather(*(asyncio.to_thread(p.unregister) for p in phones))

    def close(self) -> None:
        """Unregister every extension, blocking: the last resort when stop did not run."""
        for phone in self._phones.values():
            phone.unregister()
        self._phones = {}

    def _trim_calls(self) -> None:
        """Make pyVoIP let go of the audio of every call, every TRIM_S seconds."""
        for port in self.ports:
            port.trim()
        self._trim = asyncio.get_running_loop().call_later(TRIM_S, self._trim_calls)

    # --- a phone's events, on the loop -----------------------------------------------------------
    def arrived(self, phone: Any, call: Any, done: threading.Event) -> None:
        """A call rings on an extension: offer it, and ring it on the port it is given."""
        inbound = self._inbound
        if inbound is None or phone.user in self._busy or phone.user not in self._phones:
            call.refuse()
            done.set()
            return
        called = phone.number or call.called or phone.user
        info = CallInfo("inbound", caller=call.caller, called=called)
        try:
            port = inbound.offer(info)
        except EngineError as exc:  # UnknownNumber, NoFreePort
            log.info("call %s to %s refused: %s", call.call_id, called, exc)
            call.refuse()
            done.set()
            return
        self._busy.add(phone.user)
        self._by_call[call.call_id] = port
        info.offered_at = port.clock.now()
        port.ring(phone.user, call, done, info)
        inbound.connect(port)

    def pressed(self, call_id: str, key: str) -> None:
        """A key of a call's far end."""
        port = self._by_call.get(call_id)
        if port is not None:
            port._press(key)

    def ended(self, call_id: str) -> None:
        """A call's far end hung up."""
        port = self._by_call.get(call_id)
        if port is not None:
            port.caller_gone()

    # --- for ports ---------------------------------------------------------------------------
    def finished(self, port: LinePort) -> None:
        """The port's call is over: free its extension and end pyVoIP's thread for it."""
        if port.done is not None:
            port.done.set()
        self._busy.discard(port.extension)
        call = port.line_call
        if call is not None and self._by_call.get(call.call_id) is port:
            del self._by_call[call.call_id]

    async def place(self, port: LinePort, to: str,
                    timeout_s: float) -> tuple[str, PhoneCall | None]:
        """Dial `to` from an idle extension; return the outcome and, when answered, the call.

        pyVoIP reports an answer, 404 and 503 (`failed`); a busy or silent far end leaves the
        call ringing (it has no CANCEL), which after `timeout_s` is `noanswer`.
        """
        phone = next((p for user, p in self._phones.items() if user not in self._busy), None)
        if phone is None:
            log.info("port %s: no idle extension to dial %s from", port.id, to)
            return "failed", None
        self._busy.add(phone.user)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        try:
            async with asyncio.timeout(timeout_s):
                call = await asyncio.to_thread(phone.dial, to)
                while call.status == "dialing":
                    await asyncio.sleep(POLL_S)
        except TimeoutError:
            self._busy.discard(phone.user)
            return "noanswer", None
        except Exception as exc:  # pyVoIP raises what its socket or parser raised
            log.info("port %s: dialling %s failed: %s", port.id, to, exc)
            self._busy.discard(phone.user)
            return "failed", None
        if call.status != "answered" or loop.time() > deadline:
            self._busy.discard(phone.user)
            return "failed", None
        port.extension = phone.user
        self._by_call[call.call_id] = port
        return "answered", call
