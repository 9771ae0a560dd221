"""The same routes for every kind of document the store keeps: flows, bots, responses sets.

A view written once takes the kind and the document's id; `register` adds it under each kind's
path (`/flows/<flow_id>/draft`, `/bots/<bot_id>/draft`, `/responses/<set_id>/draft`), so that
drafts, ETags, publishing, versions, roles and audit behave alike for all of them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, Response


@dataclass(frozen=True)
class Route:
    """How one kind of document is reached: its path segment and its id's name in the path."""

    kind: str  # flow, bot, responses: builder.flowstore.kinds
    plural: str  # flows, bots, responses
    param: str  # flow_id, bot_id, set_id


FLOWS = Route("flow", "flows", "flow_id")
BOTS = Route("bot", "bots", "bot_id")
RESPONSES = Route("responses", "responses", "set_id")
ROUTES = (FLOWS, BOTS, RESPONSES)


def register(bp: Blueprint, rule: str, view: Callable[..., Response], methods: list[str],
             routes: tuple[Route, ...] = ROUTES) -> None:
    """Add `view(kind, doc_id)` for each kind at `rule` (`{plural}`, `{id}` filled in).

    A flow's endpoint keeps the view's name; another kind's is suffixed with it (`publish_bot`).
    """
    for route in routes:
        path = rule.format(plural=route.plural, id=f"<{route.param}>")
        endpoint = view.__name__ if route is FLOWS else f"{view.__name__}_{route.kind}"
        bp.add_url_rule(path, endpoint, _bound(view, route), methods=methods)


def _bound(view: Callable[..., Response], route: Route) -> Callable[..., Response]:
    """Return the view for one kind, with the view's marks (its role, its openness)."""
    @functools.wraps(view)
    def bound(**path: str) -> Response:
        if route.param in path:
            return view(route.kind, path.pop(route.param), **path)
        return view(route.kind, **path)
    return bound
