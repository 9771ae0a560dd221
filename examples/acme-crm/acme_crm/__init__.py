"""Acme CRM blocks for Callwright."""

from .lookup import CrmLookupBlock, CrmLookupBlockV1

__all__ = ["CrmLookupBlock", "CrmLookupBlockV1"]
