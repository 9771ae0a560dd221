"""Blocks: the SDK partners write against, the registry, and the built-in blocks."""

from .registry import BlockType, BrokenBlock, Registry, UnknownBlockType, default_registry

__all__ = ["BlockType", "BrokenBlock", "Registry", "UnknownBlockType", "default_registry"]
