"""Outbound HTTP from flows: one client per event loop, refusing addresses the policy forbids."""

from .addresses import AddressPolicy, parse_networks
from .client import OutboundHttp

__all__ = ["AddressPolicy", "OutboundHttp", "parse_networks"]
