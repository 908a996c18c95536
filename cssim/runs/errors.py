"""How a run says that one of its steps failed."""

from __future__ import annotations

__all__ = ["RunError"]


class RunError(Exception):
    """A step of a run failed (the simulation, writing files, rendering a report).

    ``str()`` says which step, of what, and why, in the reader's language; ``cssim`` prints it as one
    line and exits 1.
    """
