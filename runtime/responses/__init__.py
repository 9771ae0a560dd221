"""Responses: named auto-responses with per-language and per-channel variants."""

from .library import CONTENT, TEMPLATED, ResponseLibrary, UnknownResponse, choose, read_set

__all__ = ["CONTENT", "TEMPLATED", "ResponseLibrary", "UnknownResponse", "choose", "read_set"]
