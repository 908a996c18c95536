"""Worker processes that die with the process that started them.

A batch's or a simulation's local workers are spawned processes (:mod:`cssim.runs.executors`). When
the main process is killed outright (``kill -9``, the out-of-memory killer), nothing tells them: they
would finish the tasks already queued, write scenarios the manifest never records, then wait for work
forever. :func:`watch_parent`, the pools' initializer, ties each worker to its parent:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment the thread that
  spawned it ends (used only when that thread is the main thread, which lives as long as the process);
- everywhere, a daemon thread that checks twice a second whether the worker's parent changed (an
  orphan is adopted by another process) and ends the worker if so;
- :func:`parent_gone`, which a worker asks before it writes, so that it writes nothing for a parent
  that is gone.
"""

from __future__ import annotations

import os
import sys
import threading
import time

__all__ = ["CHECK_SECONDS", "parent_gone", "watch_parent"]

#: How often the watchdog thread checks for its parent.
CHECK_SECONDS = 0.5
#: ``PR_SET_PDEATHSIG`` of ``<linux/prctl.h>``.
_PR_SET_PDEATHSIG = 1
#: The parent this worker watches (None outside a watched worker: this process, a Dask worker).
_PARENT: list[int | None] = [None]


def watch_parent(parent: int, deathsig: bool = True) -> None:
    """Tie this worker process to ``parent`` (a process pool's ``initializer``).

    ``deathsig`` asks Linux to kill the worker when its spawning thread ends; give it only when the pool
    is created (and fed) from the main thread.
    """
    _PARENT[0] = parent
    if deathsig and sys.platform.startswith("linux"):
        _set_death_signal()
    if parent_gone():  # the parent died before the death signal was set
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="cssim-parent-watch", daemon=True).start()


def parent_gone() -> bool:
    """True in a watched worker whose parent is gone (False in any other process)."""
    return _PARENT[0] is not None and os.getppid() != _PARENT[0]


def _set_death_signal() -> None:
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the watchdog thread alone
        pass


def _watch(parent: int) -> None:
    while True:
        time.sleep(CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)  # no cleanup to do: the parent that would read our results is gone
