"""The drafts and versions operations of bots and responses sets, derived from the flows'.

The store and the routes are one for every kind of document (builder.api.kinds), so their
description is too: each flow operation that other kinds share is copied with its paths, its
id parameter, its document schema, its operation ids and its links renamed for the kind.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

# the shared operations: (path, method) -> operation id, `{K}` standing for the kind's name
SHARED = {
    ("/flows", "post"): "create{K}",
    ("/flows/{flow_id}", "delete"): "delete{K}",
    ("/flows/{flow_id}/draft", "get"): "get{K}Draft",
    ("/flows/{flow_id}/draft", "put"): "save{K}Draft",
    ("/flows/{flow_id}/draft", "delete"): "discard{K}Draft",
    ("/flows/{flow_id}/publish", "post"): "publish{K}",
    ("/flows/{flow_id}/rollback", "post"): "rollback{K}",
    ("/flows/{flow_id}/versions", "get"): "list{K}Versions",
    ("/flows/{flow_id}/versions/{number}", "get"): "get{K}Version",
    ("/flows/{flow_id}/diff", "get"): "diff{K}Versions",
}
# what another kind's operation says instead of the flow's, where blocks are no part of it
DESCRIPTIONS = {
    "diffVersions": "Item by item, each named `section/name` (`intents/greeting`, "
                    "`entities/card`, `responses/hello`): `added`, `removed`, `changed` (with "
                    "the item's keys that differ), and the document's own fields that differ "
                    "(`languages`, `name`...).",
}


@dataclass(frozen=True)
class DocumentKind:
    """How the document describes one kind besides flows."""

    name: str  # Bot, ResponsesSet: in operation ids
    label: str  # bot, responses set: in summaries
    plural: str  # bots, responses: the path
    param: str  # bot_id, set_id
    parameter: str  # BotId, SetId: components/parameters
    schema: str  # BotDocument, ResponsesDocument
    read: str  # the operation reading the live document (getBot)


KINDS = (DocumentKind("Bot", "bot", "bots", "bot_id", "BotId", "BotDocument", "getBot"),
         DocumentKind("ResponsesSet", "responses set", "responses", "set_id", "SetId",
                      "ResponsesDocument", "getResponsesSet"))


def add_kinds(document: dict) -> None:
    """Add every shared operation of every other kind to a merged document (in place)."""
    flow_ids = {document["paths"][path][method]["operationId"]: op_id
                for (path, method), op_id in SHARED.items()}
    for kind in KINDS:
        renamed = {flow_id: op_id.format(K=kind.name) for flow_id, op_id in flow_ids.items()}
        renamed["getFlow"] = kind.read
        for (path, method) in SHARED:
            operation = _operation(document["paths"][path][method], kind, renamed)
            target = path.replace("/flows", f"/{kind.plural}", 1).replace("{flow_id}",
                                                                          "{" + kind.param + "}")
            item = document["paths"].setdefault(target, {})
            if method in item:
                raise ValueError(f"{method.upper()} {target} is described twice")
            item[method] = operation


def _operation(flow_operation: dict, kind: DocumentKind, renamed: dict[str, str]) -> dict:
    """Return a flow operation made into the kind's."""
    operation = copy.deepcopy(flow_operation)
    if operation["operationId"] in DESCRIPTIONS:
        operation["description"] = DESCRIPTIONS[operation["operationId"]]
    operation["operationId"] = renamed[operation["operationId"]]
    operation["tags"] = [kind.plural]
    for field in ("summary", "description"):
        if field in operation:
            operation[field] = operation[field].replace("flows", f"{kind.label}s") \
                .replace("flow", kind.label)
    for response in operation.get("responses", {}).values():
        links = response.get("links")
        if links is None:
            continue
        for name in list(links):  # a link to what only flows have (validate, simulate) goes
            if links[name]["operationId"] in renamed:
                links[name]["operationId"] = renamed[links[name]["operationId"]]
            else:
                del links[name]
    text = json.dumps(operation)
    text = text.replace("#/components/parameters/FlowId", f"#/components/parameters/"
                                                          f"{kind.parameter}")
    text = text.replace("#/components/schemas/FlowDocument", f"#/components/schemas/"
                                                             f"{kind.schema}")
    text = text.replace("#/components/schemas/FlowDiff", "#/components/schemas/DocumentDiff")
    text = text.replace("#/components/responses/InvalidFlow",
                        "#/components/responses/InvalidDocument")
    text = text.replace("$request.path.flow_id", f"$request.path.{kind.param}")
    return json.loads(text.replace('"flow_id":', f'"{kind.param}":'))
