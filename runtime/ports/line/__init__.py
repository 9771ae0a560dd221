"""The line backend: extensions registered on an existing PBX or SIP trunk, through pyVoIP."""

from .backend import Extension, LineBackend, LineRegistrationFailed
from .port import LinePort

__all__ = ["Extension", "LineBackend", "LinePort", "LineRegistrationFailed"]
