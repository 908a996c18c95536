"""Where work runs: in this process, in local worker processes, or on a Dask cluster.

Every task carries its own explicit seed, so results never depend on where or in which order tasks ran.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any

__all__ = ["executor", "process_pool", "run_tasks", "usable_cpus"]


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system says, else all of them)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no sched_getaffinity (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def process_pool(jobs: int) -> ProcessPoolExecutor:
    """``jobs`` spawned worker processes, at most :func:`usable_cpus` (more would only wait for each
    other; the numbers are the same however many run), safe beside threads, kernels and a Dask client
    in this process, that die with this process (:mod:`cssim.runs.lifeline`)."""
    from .lifeline import watch_parent

    return ProcessPoolExecutor(
        max_workers=max(1, min(jobs, usable_cpus())),
        mp_context=get_context("spawn"),
        initializer=watch_parent,
        initargs=(os.getpid(), threading.current_thread() is threading.main_thread()),
    )


def run_tasks(
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    executor: Executor | None = None,
) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, fn(item))`` as tasks finish.

    ``scheduler`` is a Dask scheduler address (``tcp://host:port``); tasks are submitted with
    ``pure=False`` so Dask never returns a cached result for equal arguments. ``jobs > 1`` uses local
    processes (spawned: safe with threads and kernels). A task that raises is yielded as the exception.
    """
    if not items:
        return
    if executor is not None:
        yield from _from_futures({executor.submit(fn, x): i for i, x in enumerate(items)})
    elif scheduler is not None:
        try:
            from distributed import as_completed as dask_completed
        except ImportError as e:  # pragma: no cover - the dask extra is installed by make setup
            raise RuntimeError(
                "--scheduler needs dask.distributed: pip install 'cssim[dask]'"
            ) from e
        from .distributed import connect

        with connect(scheduler) as client:
            futures = {client.submit(fn, x, pure=False): i for i, x in enumerate(items)}
            for f in dask_completed(list(futures)):
                try:
                    yield futures[f], f.result()
                except Exception as e:
                    yield futures[f], e
    elif jobs <= 1:
        for i, x in enumerate(items):
            try:
                yield i, fn(x)
            except Exception as e:
                yield i, e
    else:
        with process_pool(jobs) as pool:
            yield from _from_futures({pool.submit(fn, x): i for i, x in enumerate(items)})


@contextmanager
def executor(jobs: int = 1, scheduler: str | None = None) -> Iterator[Executor | None]:
    """The executor a command runs its tasks on: None (this process) for ``jobs=1``, ``jobs`` spawned
    local processes, or a Dask cluster's (``scheduler`` a ``tcp://host:port`` address; tasks submitted
    with ``pure=False``). Closed when the ``with`` block ends."""
    if scheduler is not None:
        from .distributed import dask_executor

        with dask_executor(scheduler) as dask:
            yield dask
    elif jobs > 1:
        # spawned, not forked: safe beside threads (a kernel, a Dask client) in this process
        with process_pool(jobs) as pool:
            pool.window = 2 * jobs  # finished blocks waiting for an earlier one stay few
            yield pool
    else:
        yield None


def _from_futures(futures: dict) -> Iterator[tuple[int, Any]]:
    for f in as_completed(futures):
        try:
            yield futures[f], f.result()
        except Exception as e:  # a worker that died or a task that raised
            yield futures[f], e
