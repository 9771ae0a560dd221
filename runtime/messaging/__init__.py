"""Messaging around a turn: replies, callbacks, signatures, and SMS numbers, keywords, opt-outs."""

from .keywords import KEYWORD_CHANNELS, keyword_of, keyword_reply
from .numbers import NumberError, default_region, e164, our_number
from .optouts import OptedOut, OptOut, OptOuts
from .replies import (MESSAGE_CHANNELS, our_address, reply_messages, require, root_flow,
                      status_callback, url_problem)
from .signing import SIGNATURE_HEADER, SignatureError, sign, verify

__all__ = ["KEYWORD_CHANNELS", "MESSAGE_CHANNELS", "NumberError", "OptOut", "OptOuts", "OptedOut",
           "SIGNATURE_HEADER", "SignatureError", "default_region", "e164", "keyword_of",
           "keyword_reply", "our_address", "our_number", "reply_messages", "require", "root_flow",
           "sign", "status_callback", "url_problem", "verify"]
