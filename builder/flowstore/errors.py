"""The flow store's refusals: each a stable code whose HTTP status is in builder.errors' table."""

from __future__ import annotations

from typing import Any

from ..errors import ERROR_STATUS, ApiError


class FlowStoreError(ApiError):
    """A change or read the flow store refuses; its status comes from ERROR_STATUS by code."""

    code = "flow_store_error"

    def __init__(self, message: str, details: list[Any] | None = None, *,
                 code: str | None = None) -> None:
        # `code` names the kind of document for a bot's or a responses set's refusal
        super().__init__(message, details=details, code=code)
        self.status = ERROR_STATUS.get(self.code, 500)


class FlowMissing(FlowStoreError):
    """No draft, file or live flow has that id."""

    code = "flow_not_found"


class FlowExists(FlowStoreError):
    """A flow (draft, file or live) already has the id asked for."""

    code = "flow_exists"


class VersionMissing(FlowStoreError):
    """The flow has no version of that number."""

    code = "version_not_found"


class DraftMissing(FlowStoreError):
    """The flow has no draft."""

    code = "draft_not_found"


class VersionMismatch(FlowStoreError):
    """`If-Match` names another state of the working copy than the current one; nothing changed."""

    code = "version_mismatch"

    def __init__(self, flow_id: str, current: str | None, label: str = "flow") -> None:
        super().__init__(f"{label} {flow_id!r} has changed since you read it: read it again (its "
                         f"ETag is now {current!r}) and apply your change to that",
                         details=[{"pointer": "", "message": "the working copy has changed",
                                   "etag": current}])
        self.current = current


class PreconditionRequired(FlowStoreError):
    """A change over an existing draft or flow came without `If-Match`; nothing changed."""

    code = "precondition_required"

    def __init__(self, flow_id: str, current: str, label: str = "flow") -> None:
        super().__init__(f"{label} {flow_id!r} exists: send If-Match with the ETag of the copy you "
                         f"changed (now {current!r}), so that nobody's work is overwritten",
                         details=[{"pointer": "", "message": "If-Match is required",
                                   "etag": current}])


class FlowInUse(FlowStoreError):
    """Routes or other flows name the flow: renaming or deleting it would break them."""

    code = "flow_in_use"


class GitFailed(FlowStoreError):
    """A git command of the workspace failed or timed out; the change was not made."""

    code = "git_failed"


class InvalidDocument(FlowStoreError):
    """A bot or responses set with errors cannot be published (a flow's is InvalidFlow)."""

    code = "invalid_document"
