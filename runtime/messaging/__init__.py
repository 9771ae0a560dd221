"""Messaging around a turn: where replies and status callbacks go, and how they are signed."""

from .replies import (MESSAGE_CHANNELS, our_address, reply_messages, require, root_flow,
                      status_callback, url_problem)
from .signing import SIGNATURE_HEADER, SignatureError, sign, verify

__all__ = ["MESSAGE_CHANNELS", "SIGNATURE_HEADER", "SignatureError", "our_address",
           "reply_messages", "require", "root_flow", "sign", "status_callback", "url_problem",
           "verify"]
