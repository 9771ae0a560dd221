"""A mail's attachments kept on disk under the workspace's `.callwright/mail/`, within limits.

A file over the per-file limit, or past the total of one mail, is left out and listed as such:
the mail is still answered, and the flow can tell the customer what was not taken.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

from .limits import MailLimits
from .parsing import Part

_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def safe_name(name: str, index: int) -> str:
    """Return a file name that stays in its folder: no separators, no leading dot, short."""
    base = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")[:100]
    return f"{index}-{base or 'attachment'}"


def keep_attachments(parts: list[Part], folder: Path, message_id: str | None,
                     limits: MailLimits) -> list[dict]:
    """Write the attachments that fit the limits; return one entry per attachment, kept or not."""
    origin = (message_id or uuid.uuid4().hex).encode("utf-8", "surrogatepass")
    home = folder / hashlib.sha256(origin).hexdigest()[:32]
    listed: list[dict] = []
    total = 0
    for index, part in enumerate(parts, 1):
        entry = {"name": part.name, "content_type": part.content_type, "bytes": len(part.data)}
        if len(part.data) > limits.attachment_bytes:
            entry.update(kept=False, reason=f"larger than {limits.attachment_bytes} bytes")
        elif total + len(part.data) > limits.attachments_bytes:
            entry.update(kept=False, reason=f"the mail's attachments pass "
                                            f"{limits.attachments_bytes} bytes")
        else:
            home.mkdir(parents=True, exist_ok=True)
            path = home / safe_name(part.name, index)
            path.write_bytes(part.data)
            total += len(part.data)
            entry.update(kept=True, path=str(path))
        listed.append(entry)
    return listed
