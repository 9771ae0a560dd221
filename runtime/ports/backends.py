"""Port backends by name: the built-in ones, and partners' through the `callwright.ports` group.

A partner package registers its backend class as
`[project.entry-points."callwright.ports"] mybackend = "mypackage.ports:MyBackend"`; the class
subclasses `runtime.ports.PortBackend` and builds itself from the settings with
`from_settings`. Which backends `serve` runs for inbound calls is `[ports] backends`.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from runtime.errors import EngineError

from .port import PortBackend

ENTRY_POINT_GROUP = "callwright.ports"
BUILT_IN = {"emulator": "runtime.ports.emulator:EmulatorBoard",
            "sip": "runtime.ports.sip:SipBackend",
            "line": "runtime.ports.line:LineBackend"}
DEFAULT_BACKENDS = ("sip",)


class UnknownBackend(EngineError):
    """A backend named in the settings is neither built in nor registered by a package."""

    code = "unknown_port_backend"


def backend_names() -> list[str]:
    """Return the names of every backend that can be configured, built-in first."""
    registered = sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return list(BUILT_IN) + [name for name in registered if name not in BUILT_IN]


def backend_class(name: str) -> type[PortBackend]:
    """Return the backend class called `name`; raise UnknownBackend naming the known ones."""
    if name in BUILT_IN:
        module, _, attribute = BUILT_IN[name].partition(":")
        found = getattr(import_module(module), attribute)
    else:
        points = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not points:
            raise UnknownBackend(f"no port backend is called {name!r}: known are "
                                 f"{', '.join(backend_names())}")
        try:
            found = points[0].load()
        except Exception as exc:  # a partner's broken package: say whose, keep the cause
            raise UnknownBackend(f"the port backend {name!r} ({points[0].value}) does not "
                                 f"load: {exc}") from exc
    if not (isinstance(found, type) and issubclass(found, PortBackend)):
        raise UnknownBackend(f"the port backend {name!r} is not a PortBackend subclass")
    return found


def configured_backends(settings: Mapping[str, Any], root: Path) -> list[PortBackend]:
    """Build the backends `[ports] backends` names, each from the settings."""
    names = settings.get("ports", {}).get("backends", DEFAULT_BACKENDS)
    return [backend_class(name).from_settings(settings, root) for name in names]
