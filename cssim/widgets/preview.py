"""The explorer's runs: every one on the same seed, the first block here and the others in worker processes.

Sliders recompute a preview (``preview_paths``, 2,000 by default); **Run full** reruns with the paths box.
Paths come in blocks of 1,000 (:data:`cssim.model.randomness.BLOCK_PATHS`): the first runs in this process
while worker processes (forkserver) run the others, so a 2-block preview on 2 cores needs one worker and
ships one block's arrays. The numbers do not depend on how the blocks are spread (common random numbers,
MODEL.md, Randomness). In a script, create the explorer under ``if __name__ == "__main__":`` (worker
processes import the main module); without the guard it falls back to one process, with the same numbers.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from ..model.engine import simulate
from ..model.randomness import BLOCK_PATHS
from ..model.result import SimulationResult
from ..model.scenario import Scenario

__all__ = ["Runner"]


class Runner:
    """Simulates the explorer's scenarios and the file's scenario beside them, on one seed.

    Parameters
    ----------
    workers : int, optional
        Processes for runs longer than one block of 1,000 paths (default: the CPU count; 1 runs in this
        process). At most 8.

    Attributes
    ----------
    pool : Executor or None
        The worker processes with this one (started at the first run that needs them).
    last : tuple or None
        ``(scenario, seed, paths)`` of the last :meth:`run`: an identical request needs no recompute.
    """

    def __init__(self, workers: int | None = None):
        self.workers = (os.cpu_count() or 1) if workers is None else int(workers)
        self.pool: _Hybrid | None = None
        self.last: tuple | None = None
        self._baseline: tuple[tuple, SimulationResult] | None = None

    def executor(self, paths: int) -> Executor | None:
        """Where a run of ``paths`` goes: None (this process) for one block or one worker, else the
        pool, its next block marked to run here."""
        if self.workers <= 1 or paths <= BLOCK_PATHS:
            return None
        if self.pool is None:
            self.pool = _Hybrid(
                ProcessPoolExecutor(
                    min(self.workers, 8) - 1,
                    mp_context=get_context("forkserver"),
                    initializer=_ignore_interrupts,
                )
            )
        self.pool.inline_next = True
        return self.pool

    def simulate(self, scenario: Scenario, paths: int, seed: int) -> SimulationResult:
        """One run; when worker processes cannot start, this and every later run go in this process."""
        try:
            return simulate(scenario, paths=paths, seed=seed, executor=self.executor(paths))
        except BrokenProcessPool:
            # Worker processes could not start (a script without an ``if __name__ == "__main__"``
            # guard, say): run in this process from now on. The numbers are the same.
            self.pool, self.workers = None, 1
            return simulate(scenario, paths=paths, seed=seed)

    def run(
        self, base: Scenario, scenario: Scenario, seed: int, paths: int
    ) -> tuple[SimulationResult, SimulationResult]:
        """``scenario`` and the file's scenario ``base`` at the same horizon, seed and paths.

        The run of ``base`` is kept and reused until the horizon, seed or paths change.
        """
        key = (scenario.horizon_months, seed, paths)
        if self._baseline is None or self._baseline[0] != key:
            same = scenario.horizon_months == base.horizon_months
            file = base if same else base.replace({"horizon_months": scenario.horizon_months})
            self._baseline = (key, self.simulate(file, paths, seed))
        result = self.simulate(scenario, paths, seed)
        self.last = (scenario, seed, paths)
        return result, self._baseline[1]

    def close(self) -> None:
        """Stop the worker processes (runs started later start them again)."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def __del__(self):
        if getattr(self, "pool", None) is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)


class _Inline(Future):
    """A future computed in the calling thread when its result is first asked for."""

    def __init__(self, fn, args, kwargs):
        super().__init__()
        self._call = (fn, args, kwargs)

    def result(self, timeout=None):
        if self._call is not None:
            fn, args, kwargs = self._call
            self._call = None
            try:
                self.set_result(fn(*args, **kwargs))
            except BaseException as e:
                self.set_exception(e)
        return super().result(timeout)


class _Hybrid(Executor):
    """Worker processes plus this one: the first block of each run is computed here while the workers
    run the others, so a 2-block run on 2 cores needs one worker and ships one block's arrays."""

    def __init__(self, pool: ProcessPoolExecutor):
        self.pool = pool
        self.inline_next = False

    def submit(self, fn, /, *args, **kwargs):
        if self.inline_next:
            self.inline_next = False
            return _Inline(fn, args, kwargs)
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _ignore_interrupts() -> None:
    """Worker initializer: leave Ctrl-C and a kernel's interrupt to the parent, which shuts the pool
    down; a worker that took the SIGINT would print a KeyboardInterrupt traceback into the log."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
