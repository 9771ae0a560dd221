"""The IVR that benchmarks/sip.py measures: its prompts, menus and dispositions, for both stacks.

Callwright runs it as a flow (`flow()`); pyVoIP as the same prompts and menus in
benchmarks/sip_pyvoip.py (`menus()`). Callers press one of `PAIRS` (benchmarks/sip_callers.py).
"""

from __future__ import annotations

PAIRS = ("13", "14", "23", "24")  # the keys the callers press, in turn
TIMEOUT_S = 10  # a menu waits this long for its key
ATTEMPTS = 2
WELCOME = "Welcome to the Callwright benchmark line. Every call hears prompts and presses keys."
MENU = "For sales press 1. For support press 2."
SECOND = {"1": ("sales", "Sales. For new orders press 3. For existing orders press 4.",
                {"3": "sales_new", "4": "sales_existing"}),
          "2": ("support", "Support. For billing press 3. For technical help press 4.",
                {"3": "support_billing", "4": "support_technical"})}
GOODBYE = "Thank you for calling. Goodbye."


PROMPTS = {"welcome": WELCOME, "menu": MENU, "sales": SECOND["1"][1], "support": SECOND["2"][1],
           "goodbye": GOODBYE}


def flow() -> dict:
    """Return the benchmark IVR: welcome, menu, a second menu per branch, a disposition each."""
    blocks = {"welcome": {"type": "say", "config": {"text": WELCOME},
                          "exits": {"next": "menu"}},
              "menu": {"type": "menu", "config": {
                  "prompt": MENU, "timeout_s": TIMEOUT_S, "max_attempts": ATTEMPTS,
                  "options": [{"key": key, "exit": name, "label": name.title()}
                              for key, (name, _, _) in SECOND.items()]},
                  "exits": {**{name: name for name, _, _ in SECOND.values()},
                            "failed": "no_first_key"}},
              "no_first_key": {"type": "end", "config": {"disposition": "no_first_key"}}}
    for name, prompt, options in SECOND.values():
        blocks[name] = {"type": "menu", "config": {
            "prompt": prompt, "timeout_s": TIMEOUT_S, "max_attempts": ATTEMPTS,
            "options": [{"key": key, "exit": end, "label": end} for key, end in options.items()]},
            "exits": {**{end: end for end in options.values()}, "failed": "no_second_key"}}
        for end in options.values():
            blocks[end] = {"type": "end", "config": {"disposition": end, "text": GOODBYE}}
    blocks["no_second_key"] = {"type": "end", "config": {"disposition": "no_second_key"}}
    return {"schema": "callwright/flow@1", "id": "bench", "name": "SIP benchmark",
            "start": "welcome", "blocks": blocks}


def disposition(keys: str) -> str:
    """Return the disposition the IVR ends with after these two keys."""
    return SECOND[keys[0]][2][keys[1]]


def menus() -> dict:
    """Return the IVR for benchmarks/sip_pyvoip.py: prompt names, menus and dispositions."""
    return {"names": sorted(PROMPTS), "timeout_s": TIMEOUT_S, "attempts": ATTEMPTS,
            "second": {key: [name, options] for key, (name, _, options) in SECOND.items()}}
