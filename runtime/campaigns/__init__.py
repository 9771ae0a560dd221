"""Campaigns: one flow started for a list of contacts, a few at a time, inside a time window."""

from .progress import CampaignNotFound, advance, cancel, create, engine_of, launch, status
from .window import inside, next_opening, window_problems

__all__ = ["CampaignNotFound", "advance", "cancel", "create", "engine_of", "inside", "launch",
           "next_opening", "status", "window_problems"]
