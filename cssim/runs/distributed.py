"""One simulation spread over a Dask cluster: its blocks of paths as tasks, results back in block order.

:func:`cssim.simulate` imports this module only when it is given ``scheduler=ADDRESS``, so the model
itself never needs Dask. Every block carries the run's entropy and its block number, and its random
streams are keyed by both (:mod:`cssim.model.randomness`), so where a block runs never changes a number.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any

__all__ = ["DaskExecutor", "dask_executor"]


class DaskExecutor(Executor):
    """A ``concurrent.futures`` executor over a connected Dask client.

    Tasks are submitted with ``pure=False``: Dask would otherwise treat equal arguments as the same task
    and hand back one cached result. :attr:`window` (twice the cluster's threads) is how many blocks
    :func:`cssim.simulate` keeps in flight, so results never pile up on the workers or in the client.
    """

    def __init__(self, client: Any):
        self.client = client
        self._futures = client.get_executor(pure=False)  # concurrent.futures.Future results
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        self.window = max(2, 2 * threads)

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any):  # type: ignore[override]
        """Run ``fn(*args, **kwargs)`` on a worker; a ``concurrent.futures.Future`` of its result."""
        return self._futures.submit(fn, *args, **kwargs)


@contextmanager
def dask_executor(address: str, timeout: str = "30s"):
    """Connect to the Dask scheduler at ``address`` (``tcp://host:port``) and yield a :class:`DaskExecutor`.

    Raises
    ------
    RuntimeError
        If dask.distributed is not installed, the scheduler cannot be reached or it has no workers.
    """
    try:
        from distributed import Client
    except ImportError as e:  # pragma: no cover - the dask extra is installed by make setup
        raise RuntimeError("scheduler= needs dask.distributed: pip install 'cssim[dask]'") from e
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as e:
        raise RuntimeError(f"cannot reach the Dask scheduler at {address!r}: {e}") from e
    try:
        if not client.scheduler_info()["workers"]:
            client.wait_for_workers(1, timeout=timeout)
        yield DaskExecutor(client)
    finally:
        client.close()
