"""One batch at a time in an output folder: a lock that a killed batch never leaves behind.

Two batches writing into one folder delete each other's temporary files and overwrite each other's
manifest (issue 21: both failed "at write" and the index marked good scenarios failed). A batch
therefore holds an exclusive ``flock`` on ``DIR/.cssim-batch.lock`` while it runs; a second batch finds
it held and is refused at once (:class:`FolderBusy`). The kernel releases the lock when its holder
ends in any way, ``kill -9`` included, so a stale lock file never blocks the next batch: the file
stays, the lock does not. The file holds the holder's process id and start time, for the message.
Where ``fcntl`` is missing (Windows) no lock is taken.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["LOCK_FILE", "FolderBusy", "folder_lock"]

LOCK_FILE = ".cssim-batch.lock"


class FolderBusy(Exception):
    """Another process holds ``folder``'s batch lock: its process id and start time (None when the
    lock file does not say)."""

    def __init__(self, folder: Path, pid: int | None, started: str | None):
        self.folder, self.pid, self.started = folder, pid, started
        super().__init__(
            f"another batch is writing into {folder} (process {pid}, since {started}); wait for it "
            "to finish, or give another --out"
        )


@contextmanager
def folder_lock(folder: Path) -> Iterator[Path]:
    """Hold ``folder``'s batch lock while the block runs; :class:`FolderBusy` when another holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock
        yield folder / LOCK_FILE
        return
    path = Path(folder) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by workers (PEP 446)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(Path(folder), *_holder(fd)) from None
        started = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started": started}).encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> tuple[int | None, str | None]:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
        return data.get("pid"), data.get("started")
    except (OSError, ValueError, AttributeError):
        return None, None
