"""The context: a block's only door to the world."""

from __future__ import annotations

from typing import Any

from .errors import BlockError, EndSession, EnterSubflow
from .host import Classification, Host, HttpRequest, HttpResponse, Input, ScriptResult
from .templates import is_template, render_html, render_text, render_value

_ROOTS = ("vars", "contact", "trigger")
# where a block's state keeps the keys of the work it queued, so that a re-run after a wait
# returns them instead of queueing the work again
_ENQUEUED = "_enqueued"
_WRITABLE = ("vars", "contact")
# the fields of a response's content that are templates
_TEMPLATED = ("text", "subject", "html")
_MISSING = object()


class Context:
    """What a running block sees: its config, the session's data and the actions it may take.

    One context serves a session for its whole run; the engine points it at each block in turn.
    """

    __slots__ = ("host", "block_id", "config", "state", "vars", "contact", "trigger",
                 "settings", "changes", "last_input", "_resume", "_enqueues")

    def __init__(self, host: Host, *, vars: dict, contact: dict, trigger: dict,
                 settings: dict | None = None) -> None:
        self.host = host
        self.vars = vars
        self.contact = contact
        self.trigger = trigger
        self.settings = settings or {}
        self.block_id = ""
        self.config: dict = {}
        self.state: dict = {}
        self.changes: list = []
        # the last answer an `ask` returned in this run (a turn starts with the answer it resumes)
        self.last_input: Input | None = None
        self._resume: Input | None | object = _MISSING
        self._enqueues = 0

    # --- where the engine points the context --------------------------------------------------
    def enter(self, block_id: str, config: dict, state: dict) -> None:
        """Point the context at a block about to run."""
        self.block_id = block_id
        self.config = config
        self.state = state
        self.changes = []
        self._enqueues = 0

    def resume_with(self, answer: Input | None) -> None:
        """Make the next `ask` return `answer` without emitting again (a re-run after a wait)."""
        self._resume = answer

    @property
    def replaying(self) -> bool:
        """True while a re-run block has not yet reached the `ask` it waited in."""
        return self._resume is not _MISSING

    @property
    def channel(self) -> str:
        """Return the session's channel: `voice`, `chat`, `sms`, `email` or `webhook`."""
        return self.host.channel

    @property
    def language(self) -> str:
        """Return the session's language: the contact's, else the flow's setting."""
        return self.contact.get("language") or self.settings.get("language") or "en-US"

    # --- data ---------------------------------------------------------------------------------
    def get(self, path: str, default: Any = None) -> Any:
        """Return the value at a dotted path such as `vars.account` or `trigger.text`."""
        root, _, rest = path.partition(".")
        value = self._root(root, path)
        if rest:
            for part in rest.split("."):
                if isinstance(value, dict):
                    value = value.get(part, _MISSING)
                elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                    value = value[int(part)]
                else:
                    value = _MISSING
                if value is _MISSING:
                    return default
        return value

    def set(self, path: str, value: Any) -> None:
        """Set the value at a dotted path under `vars` or `contact`, creating objects on the way."""
        root, _, rest = path.partition(".")
        if root not in _WRITABLE or not rest:
            raise BlockError(f"cannot set {path!r}: only paths under vars. or contact. can be set")
        target = self._root(root, path)
        *parents, leaf = rest.split(".")
        for part in parents:
            child = target.get(part)
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child
        target[leaf] = value
        self.changes.append((path, value))

    def _root(self, root: str, path: str) -> Any:
        if root == "vars":
            return self.vars
        if root == "contact":
            return self.contact
        if root == "trigger":
            return self.trigger
        raise BlockError(f"unknown path {path!r}: paths start with one of {', '.join(_ROOTS)}")

    def scope(self) -> dict:
        """Return the names a template sees: `vars`, `contact`, `trigger`, `language` and the
        host's extras (such as `eta`)."""
        return self.host.scope(self)

    def render(self, template: str) -> str:
        """Render a template text against this session; plain text comes back unchanged."""
        return render_text(template, self.scope()) if is_template(template) else template

    def render_html(self, template: str) -> str:
        """Render an HTML template: each value put into it is escaped, so it shows as text."""
        if not is_template(template):
            return template
        return render_html(template, self.scope())

    def value(self, template: Any) -> Any:
        """Evaluate a template-or-literal: `{{ vars.n + 1 }}` alone gives a native value (a number)."""
        if isinstance(template, str) and is_template(template):
            return render_value(template, self.scope())
        return template

    # --- actions ------------------------------------------------------------------------------
    def emit(self, event: str, **fields: Any) -> None:
        """Emit a channel-neutral action; suppressed while a re-run block replays to its wait."""
        if self._resume is _MISSING:
            self.host.emit({"event": event, "block": self.block_id, **fields})

    def say(self, text: str | None = None, *, audio: str | None = None,
            response: str | None = None) -> None:
        """Say a text, play a recorded prompt, or deliver a named response.

        A named response is resolved, when the host can, into its variant for the channel and
        the session's language, its texts rendered: the action carries both the name and them.
        """
        fields = {k: v for k, v in (("text", text), ("audio", audio), ("response", response))
                  if v is not None}
        if response is not None and self._resume is _MISSING:
            content = self.response(response)
            if content is not None:
                fields.update({k: (self.render_html(v) if k == "html" else self.render(v))
                               if k in _TEMPLATED and isinstance(v, str) else v
                               for k, v in content.items()})
        self.emit("say", **fields)

    def response(self, name: str, *, channel: str | None = None) -> dict | None:
        """Return a named response's content for a channel (the session's when None) and the
        session's language, from the live library, its texts still templates.

        None when the host does not resolve responses; raise `BlockError` naming an unknown one.
        """
        return self.host.response(name, language=self.language, channel=channel)

    async def ask(self, prompt: str | None, *, kind: str = "text",
                  choices: list[dict] | None = None, timeout_s: float | None = None,
                  **extra: Any) -> Input | None:
        """Ask for input and wait for it; None when the wait ended with no input (noinput)."""
        if self._resume is not _MISSING:
            answer, self._resume = self._resume, _MISSING
            if answer is not None:
                self.last_input = answer  # type: ignore[assignment]
            return answer  # type: ignore[return-value]
        event = {"event": "ask", "block": self.block_id, "prompt": prompt, "kind": kind}
        if choices is not None:
            event["choices"] = choices
        if timeout_s is not None:
            event["timeout_s"] = timeout_s
        event.update(extra)
        self.host.emit(event)
        answer = await self.host.receive(event)
        if answer is not None:
            self.last_input = answer
        return answer

    async def http(self, method: str, url: str, **options: Any) -> HttpResponse:
        """Send an HTTP request under the workspace's network policy."""
        return await self.host.http(HttpRequest(method=method.upper(), url=url, **options))

    async def enqueue(self, task: str, payload: dict) -> str:
        """Queue background work (`send`) and return its idempotency key.

        Running the same step again gives the same key, so the work is done once; a block
        re-run after a wait gets back the keys of what it queued before the wait.
        """
        index = self._enqueues
        self._enqueues += 1
        done = self.state.get(_ENQUEUED)
        if self.replaying and isinstance(done, list) and index < len(done):
            return done[index]
        key = await self.host.enqueue(task, payload, block=self.block_id, index=index)
        self.state.setdefault(_ENQUEUED, []).append(key)
        return key

    async def transfer(self, target: dict, timeout_s: float | None = None) -> str:
        """Transfer the contact; return `connected`, `busy`, `noanswer` or `failed`."""
        self.emit("transfer", target=target)
        return await self.host.transfer(target, timeout_s)

    async def record(self, prompt: str | None, *, max_s: float = 60,
                     beep: bool = True) -> dict | None:
        """Say `prompt`, beep, record the contact; None when nothing was recorded (noinput).

        What was recorded is `{"recording": id, "seconds": s, "url": ...}`; on a channel that
        cannot record (anything but voice) the host records nothing and this returns None.
        """
        self.emit("record", prompt=prompt, max_s=max_s, beep=beep)
        return await self.host.record(prompt, max_s=max_s, beep=beep, block=self.block_id)

    async def subflow(self, flow: str, inputs: dict) -> dict:
        """Run another flow to its end and return its result `{outputs, disposition}`."""
        result = self.state.get("subflow_result")
        if result is None:
            raise EnterSubflow(flow, inputs)
        return result

    async def script(self, code: str, *, input: Any = None, timeout_ms: int = 1000) -> ScriptResult:
        """Run script code in the sandbox; changed `vars` come back in the result, not applied."""
        return await self.host.run_script(code, vars=self.vars, contact=self.contact, input=input,
                                          timeout_ms=timeout_ms)

    async def evaluate(self, expression: str) -> Any:
        """Evaluate an expression in the sandbox with `vars`, `contact` and `trigger` in scope."""
        return await self.host.evaluate(expression, {"vars": self.vars, "contact": self.contact,
                                                     "trigger": self.trigger})

    async def classify(self, bot: str, text: str) -> Classification:
        """Classify a message with a workspace bot: intent, confidence, entities, language."""
        return await self.host.classify(bot, text, language=self.language)

    def end(self, disposition: str = "completed") -> None:
        """End the session now with a disposition."""
        raise EndSession(disposition)

    def now(self):
        """Return the current time, timezone-aware."""
        return self.host.now()

    def random(self) -> float:
        """Return a uniform random number in [0, 1)."""
        return self.host.random()

    def log(self, message: str) -> None:
        """Add a message to this step's entry in the execution log."""
        self.host.log(message)

