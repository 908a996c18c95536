"""Files written whole or not at all: through a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

__all__ = ["atomic"]


def atomic(path: Path, write) -> Path:
    """Write through a temporary file in the same folder, then rename: never a half-written file.

    ``write(tmp)`` creates the temporary file itself (a fresh hidden name, ``.<name>.<hex>.tmp``), so
    it gets the user's usual permissions (the umask applies); mkstemp's 0600 would make outputs
    readable by their owner only.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        write(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
