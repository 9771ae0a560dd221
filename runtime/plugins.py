"""Parts chosen by name in callwright.toml: built in, or from a pip package's entry point.

A partner ships an intent matcher or a speech recogniser as a package that registers it under an
entry point group (`callwright.matchers`, `callwright.recognizers`), as blocks register under
`callwright.blocks`; the workspace names it in its settings. A name nothing provides is a
configuration error that lists what is installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from blocks.sdk import ConfigurationError


def plugin(group: str, name: str, builtin: Mapping[str, Any], setting: str) -> Any:
    """Return what `name` names: a built-in one, else the entry point of that name in `group`.

    `setting` is where the name was given (`[bots] matcher`), for the error message.
    """
    if name in builtin:
        return builtin[name]
    found = entry_points(group=group, name=name)
    for point in found:
        try:
            return point.load()
        except Exception as exc:  # a broken package: say which, and why
            raise ConfigurationError(f"{setting} = {name!r}: its package's entry point "
                                     f"{point.value!r} does not load: {exc}") from None
    installed = sorted({*builtin, *(point.name for point in entry_points(group=group))})
    raise ConfigurationError(f"{setting} = {name!r}: no such one is installed (installed: "
                             f"{', '.join(installed)}); a package provides one under the entry "
                             f"point group {group!r}")
