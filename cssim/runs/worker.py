"""One scenario of a batch, as a local worker process or a Dask worker runs it: :func:`run_job`.

A :class:`Job` says where the scenario comes from, where its outputs go and its limits; :func:`run_job`
loads it, checks the limits, simulates, writes ``result.npz``, ``summary.csv`` and ``quantiles.csv``
and renders ``report.html``, and returns the scenario's manifest entry. It never raises: a failure is an
entry with ``status: failed``, the stage and the reason, so one scenario never stops the batch
(:mod:`cssim.runs.batch`).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .._version import __version__
from ..model.csvout import write_csv
from ..model.errors import ScenarioError
from .lifeline import parent_gone
from .manifest import fingerprint, remove_stale_temporaries

__all__ = ["MAX_CUSTOMERS", "Job", "LimitExceeded", "estimated_bytes", "run_job"]

#: Customers are stored as 32-bit integers; a scenario expected to pass this many in some month is
#: refused before it runs (2**31 - 1 would overflow; the margin leaves room for the paths' spread).
MAX_CUSTOMERS = 1_000_000_000


class LimitExceeded(BaseException):
    """A scenario passed a limit of the batch: time, memory or customers.

    A BaseException, so that no ``except Exception`` on the way swallows the time limit's alarm.
    """


@dataclass(frozen=True)
class Job:
    """One scenario of a batch: where it comes from, where its outputs go and its limits."""

    source: str
    slug: str
    content_hash: str
    key: str
    out_dir: str
    paths: int
    seed: int
    report: bool = True
    timeout: float | None = None
    max_memory: int | None = None
    max_customers: float | None = MAX_CUSTOMERS
    lang: str | None = None
    sampling: str | None = None  # how uncertain parameters are drawn; None: each scenario's own


@contextmanager
def _time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Raise :class:`LimitExceeded` in this thread after ``seconds`` (main thread only: SIGALRM)."""
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def alarm(signum, frame):
        raise LimitExceeded(f"{what} took more than the time limit of {seconds:g} s (--timeout)")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def estimated_bytes(scenario, paths: int) -> int:
    """Bytes the stored results of ``paths`` paths take, about: every stored series as float32/int32.

    ``paths x (horizon + 1) x len(STORED) x (segments + 1) x 4`` bytes, doubled for the copy made when
    blocks are put together.
    """
    from ..model.stored import STORED

    cells = paths * (scenario.horizon_months + 1) * len(STORED) * (len(scenario.segments) + 1)
    return 2 * 4 * cells


def _check_limits(job: Job, scenario) -> None:
    """Refuse, before simulating, a scenario whose results would not fit or whose base runs away."""
    if job.max_memory:
        need = estimated_bytes(scenario, job.paths)
        if need > job.max_memory:
            fit = max(1, job.paths * job.max_memory // need)
            raise LimitExceeded(
                f"{job.paths:,} paths over {scenario.horizon_months} months need about "
                f"{need / 2**30:.1f} GiB, more than the limit of {job.max_memory / 2**30:.1f} GiB "
                f"(--max-memory); about {fit:,} paths fit"
            )
    if job.max_customers:
        import warnings

        from ..model.expected import expected

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peak = float(expected(scenario)["customers"].max())
        if not peak <= job.max_customers:  # NaN and inf included
            raise LimitExceeded(
                f"expected customers reach {peak:,.0f}, more than the limit of "
                f"{job.max_customers:,.0f} (customers are counted in 32-bit integers); "
                "check acquisition and churn"
            )


def run_job(job: Job) -> dict:
    """Simulate one scenario, write its tables and render its report. Never raises: failures are data."""
    from ..model.engine import simulate
    from ..model.scenario import load_scenario

    started = time.perf_counter()
    entry = {
        "source": job.source,
        "slug": job.slug,
        "content_hash": job.content_hash,
        "key": job.key,
        "seed": job.seed,
        "paths": job.paths,
        "cssim_version": __version__,
    }
    out_dir = Path(job.out_dir)
    folder = out_dir / job.slug
    stage = "validate"
    try:
        remove_stale_temporaries(folder)
        with _time_limit(job.timeout, "loading, simulating and writing the tables"):
            scenario = load_scenario(job.source)
            entry["name"] = scenario.name
            stage = "limits"
            _check_limits(job, scenario)
            stage = "simulate"
            _stop_if_orphaned()
            result = simulate(scenario, paths=job.paths, seed=job.seed, sampling=job.sampling)
            stage = "write"
            _stop_if_orphaned()  # nothing is written for a batch that is gone
            folder.mkdir(parents=True, exist_ok=True)
            result.save(folder / "result.npz")
            result.to_csv(folder / "summary.csv", what="summary")
            q = result.quantiles(["arr", "customers", "mrr"], wide=True)
            write_csv(q, folder / "quantiles.csv")
        outputs = {
            "result": f"{job.slug}/result.npz",
            "summary": f"{job.slug}/summary.csv",
            "quantiles": f"{job.slug}/quantiles.csv",
        }
        if job.report:
            stage = "report"
            _stop_if_orphaned()
            html = _render_with_retry(job, folder)
            outputs["report"] = f"{job.slug}/{html.name}"
        entry.update(
            status="ok",
            outputs=outputs,
            files={rel: fingerprint(out_dir / rel) for rel in outputs.values()},
            headline=result.headline(),
            currency=scenario.currency,
        )
    except ScenarioError as e:
        from ..words.errors_text import scenario_error_text

        entry.update(status="failed", stage=stage, error=scenario_error_text(e, job.lang))
    except LimitExceeded as e:
        entry.update(status="failed", stage=stage, error=f"{job.source}: {e}")
    except MemoryError:
        entry.update(
            status="failed",
            stage=stage,
            error=f"{job.source}: out of memory with {job.paths:,} paths; use fewer (--paths)",
        )
    except Exception as e:  # one scenario's failure must never stop the batch
        entry.update(
            status="failed",
            stage=stage,
            error=f"{type(e).__name__}: {e}",
            detail=traceback.format_exc(limit=8),
        )
    finally:
        remove_stale_temporaries(folder)
    entry["seconds"] = round(time.perf_counter() - started, 3)
    entry["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return entry


def _stop_if_orphaned() -> None:
    """End this worker process at once when the batch that started it is gone (:mod:`cssim.runs.lifeline`):
    a scenario written now would be one no manifest records."""
    if parent_gone():
        os._exit(1)


#: Errors from starting a kernel (port races, jupyter_client #487) that are worth another try.
_KERNEL_START_ERRORS = (
    "Kernel died before replying",
    "Address already in use",
    "kernel_info",
    "ZMQError",
    "Kernel didn't respond",
)


def _render_with_retry(job: Job, folder: Path, attempts: int = 3) -> Path:
    from ..reporting.report import render_report

    for attempt in range(1, attempts + 1):
        try:
            return render_report(
                job.source,
                out_dir=folder,
                paths=job.paths,
                seed=job.seed,
                result_path=folder / "result.npz",
                name="report",
                timeout=job.timeout or 1800,
                lang=job.lang,
            )
        except Exception as e:  # retry only kernel start-up races, never a failing notebook
            text = f"{type(e).__name__}: {e}"
            if attempt == attempts or not any(s in text for s in _KERNEL_START_ERRORS):
                raise
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
