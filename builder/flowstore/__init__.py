"""The flow store: drafts, publishing, versions, git and reloading of a workspace's flows.

    store = FlowStore.open(runtime.workspace, runtime.records.engine)
    document, etag = store.working_copy("support-line")   # the draft, else the published file
    store.save_draft("support-line", body, document, author, if_match=etag)
    store.publish("support-line", author, note="New menu", if_match=new_etag)

The builder's API reaches the app's store with `builder.api.current_store()`.
"""

from .author import Author
from .checks import IfMatch
from .drafts import Draft, DraftInfo
from .errors import (DraftMissing, FlowExists, FlowInUse, FlowMissing, FlowStoreError, GitFailed,
                     PreconditionRequired, VersionMismatch, VersionMissing)
from .git import GitStore
from .reload import FlowWatcher
from .store import FlowStore, Published, WorkingCopy
from .versions import Version
from .workspace import FolderStore, WorkspaceStore

__all__ = ["Author", "Draft", "DraftInfo", "DraftMissing", "FlowExists", "FlowInUse",
           "FlowMissing", "FlowStore", "FlowStoreError", "FlowWatcher", "FolderStore",
           "GitFailed", "GitStore", "IfMatch", "PreconditionRequired", "Published", "Version",
           "VersionMismatch", "VersionMissing", "WorkingCopy", "WorkspaceStore"]
