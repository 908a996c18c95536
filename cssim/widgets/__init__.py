"""Notebook controls: the slider explorer. Logic lives here; notebooks stay thin."""

from .explorer import Explorer

__all__ = ["Explorer"]
