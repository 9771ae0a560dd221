"""The SIP backend: a UAS that answers calls itself, with our own asyncio media path."""

from .backend import SipBackend, SipListenError
from .port import SipPort

__all__ = ["SipBackend", "SipListenError", "SipPort"]
