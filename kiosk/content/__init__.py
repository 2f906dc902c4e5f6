"""The routine's content: one checked source per language (see docs/content.md)."""

from .loader import Content, ContentError, ContentStore, load_content

__all__ = ["Content", "ContentError", "ContentStore", "load_content"]
