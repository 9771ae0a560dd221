"""Outbound HTTP from flows: one client per event loop, refusing addresses the policy forbids."""

from .addresses import AddressPolicy, parse_networks
from .client import HTTP_DEFAULTS, OutboundHttp

__all__ = ["HTTP_DEFAULTS", "AddressPolicy", "OutboundHttp", "parse_networks"]
