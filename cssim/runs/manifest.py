"""A batch's ``manifest.json``: what was asked, what happened to each source, and how to trust it later.

Each entry holds a source (every source given, a missing file or a dangling or looping link included),
its status, and for each output its size and SHA-256. A resumed batch reuses an output only when the
file on disk still has that size and hash, so a truncated or edited ``result.npz`` is run again.

Statuses: ``ok`` (run now), ``up-to-date`` (run before with the same content and settings; outputs
whole), ``failed`` (with ``stage`` and ``error``), ``pending`` (not finished yet), ``running``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from .._version import __version__
from ..model.atomic import atomic as _atomic

__all__ = [
    "MANIFEST",
    "STATUS_LABELS",
    "fingerprint",
    "load_manifest",
    "outputs_whole",
    "remove_stale_temporaries",
    "write_manifest",
]

MANIFEST = "manifest.json"

#: How each status reads on the index page and the command line (one wording everywhere).
STATUS_LABELS = {
    "ok": "ok",
    "up-to-date": "up to date",
    "failed": "failed",
    "pending": "pending",
    "running": "running",
}

#: The hidden temporary names cssim's atomic writers use: ``.<name>.<random>.tmp`` and
#: ``.<name>.<hex>.tmp.<ext>`` (papermill's notebook while a report renders).
_TEMPORARY = re.compile(r"^\..+\.tmp(\.[A-Za-z0-9]+)?$")


def fingerprint(path: Path) -> dict:
    """``{"bytes": size, "sha256": hex}`` of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return {"bytes": path.stat().st_size, "sha256": h.hexdigest()}


def outputs_whole(out_dir: Path, entry: dict) -> bool:
    """True when every output of ``entry`` exists with the size and hash the manifest recorded."""
    outputs = entry.get("outputs") or {}
    files = entry.get("files") or {}
    if not outputs or set(files) != set(outputs.values()):
        return False
    for rel, expected in files.items():
        path = out_dir / rel
        try:
            if path.stat().st_size != expected.get("bytes") or fingerprint(path) != expected:
                return False
        except OSError:
            return False
    return True


def load_manifest(out_dir: Path) -> dict[str, dict]:
    """The previous run's entries by source (empty when there is none or it cannot be read)."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return {e["source"]: e for e in data.get("scenarios", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def write_manifest(out_dir: Path, entries: list[dict], settings: dict) -> Path:
    """Write ``manifest.json`` atomically: settings, the cssim version and one entry per source."""
    data = {
        "cssim_version": __version__,
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        **settings,
        "scenarios": entries,
    }
    text = json.dumps(data, indent=2, ensure_ascii=False, default=float)
    return _atomic(out_dir / MANIFEST, lambda p: Path(p).write_text(text, encoding="utf-8"))


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files a killed run left in ``folder`` (not below it); returns them."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        path = folder / name
        if _TEMPORARY.match(name) and path.is_file() and not path.is_symlink():
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed
