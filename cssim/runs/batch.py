"""Scenario batches: every scenario simulated and reported, in parallel, resumable, nothing lost.

A batch writes, into its output folder:

- ``<slug>/result.npz``, ``<slug>/summary.csv``, ``<slug>/quantiles.csv`` and ``<slug>/report.html``
  (with the executed ``report.ipynb``) per scenario; the slug comes from the file name and always names a
  folder inside the output folder (:mod:`cssim.runs.naming`);
- ``manifest.json`` (:mod:`cssim.runs.manifest`): every source given, with its content hash, status
  (``ok``, ``up-to-date``, ``failed`` with the stage and reason, ``pending``), outputs with their size
  and SHA-256, headline figures, seed, paths and cssim version;
- ``index.html``: the scenarios side by side (sortable), their ARR fans compared, links and failures.

The manifest and the index are rewritten as each scenario finishes, so a stopped batch shows what it did
and resumes where it stopped. A scenario is up to date when its content, the run settings and the cssim
version are unchanged and every output still has the size and hash the manifest recorded;
``force=True`` re-runs everything. Limits turn a runaway scenario into a ``failed`` entry while the rest
complete: ``timeout`` (seconds a scenario may take to load, simulate and write its tables; each report
cell gets as long), ``max_memory`` (bytes its results may take) and ``max_customers`` (expected
customers in any month). Work runs in local processes (``jobs``) or on a Dask cluster (``scheduler``);
the numbers are the same either way (see :mod:`cssim.model.randomness`).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .._version import __version__
from ..model.errors import ScenarioError
from .executors import run_tasks
from .manifest import (
    MANIFEST,
    STATUS_LABELS,
    fingerprint,
    load_manifest,
    outputs_whole,
    remove_stale_temporaries,
    write_manifest,
)
from .naming import unique_slugs

__all__ = [
    "INDEX",
    "MANIFEST",
    "BatchResult",
    "Job",
    "LimitExceeded",
    "expand_sources",
    "run_batch",
]

INDEX = "index.html"

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


@dataclass
class BatchResult:
    """What a batch did: the manifest entries in input order, and where the index is."""

    out_dir: Path
    entries: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> list[dict]:
        return [e for e in self.entries if e["status"] == "failed"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.counts()["pending"] else 0

    def counts(self) -> dict[str, int]:
        """Entries by status (every key of :data:`~cssim.runs.manifest.STATUS_LABELS`)."""
        out = dict.fromkeys(STATUS_LABELS, 0)
        for e in self.entries:
            out[e["status"]] = out.get(e["status"], 0) + 1
        return out

    def describe(self) -> str:
        """One line: ``6 scenarios: 2 ok, 3 up to date, 1 failed``."""
        c = self.counts()
        parts = [f"{c[s]} {STATUS_LABELS[s]}" for s in ("ok", "up-to-date", "failed")]
        parts += [f"{c[s]} {STATUS_LABELS[s]}" for s in ("pending", "running") if c[s]]
        n = len(self.entries)
        return f"{n} scenario{'s' if n != 1 else ''}: {', '.join(parts)}"


# -- planning --------------------------------------------------------------------------------------


def expand_sources(sources: Iterable[str | os.PathLike]) -> list[Path]:
    """Scenario files from files and folders, in order, once each.

    A folder gives its ``*.yaml`` and ``*.yml`` entries (sorted) that are not folders: regular files and
    links, a link that dangles or loops included, so that every source is reported (as a failure when
    it cannot be read) rather than dropped. A source that does not exist is kept for the same reason.
    """
    out: list[Path] = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            out += sorted(
                x for x in p.iterdir() if x.suffix.lower() in (".yaml", ".yml") and not x.is_dir()
            )
        else:
            out.append(p)
    seen, unique = set(), []
    for p in out:
        k = os.path.realpath(p)  # never raises, even on a link loop
        if k not in seen:
            seen.add(k)
            unique.append(p)
    return unique


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan(
    sources: Sequence[Path],
    out_dir: Path,
    paths: int,
    seed: int,
    report: bool = True,
    *,
    timeout: float | None = None,
    max_memory: int | None = None,
    max_customers: float | None = MAX_CUSTOMERS,
    lang: str | None = None,
) -> list[Job]:
    """One :class:`Job` per source, each with its own output folder inside ``out_dir``."""
    jobs = []
    for src, slug in zip(sources, unique_slugs(sources), strict=True):
        try:
            content = src.read_bytes()
        except OSError:
            content = b""  # reported when the job loads it
        h = _digest(content)
        key = _digest(
            json.dumps([h, paths, seed, report, lang, __version__, _template_hash()]).encode()
        )
        jobs.append(
            Job(
                str(src),
                slug,
                h,
                key,
                str(out_dir),
                paths,
                seed,
                report,
                timeout,
                max_memory,
                max_customers,
                lang,
            )
        )
    return jobs


def _template_hash() -> str:
    tpl = Path(__file__).parents[1] / "reporting" / "templates" / "report.ipynb"
    return _digest(tpl.read_bytes()) if tpl.exists() else ""


# -- one scenario (runs in a worker process or on a Dask worker) -----------------------------------------


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
    from ..model.engine import STORED

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
    from ..model.result import _atomic
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
            result = simulate(scenario, paths=job.paths, seed=job.seed)
            stage = "write"
            folder.mkdir(parents=True, exist_ok=True)
            result.save(folder / "result.npz")
            result.to_csv(folder / "summary.csv", what="summary")
            q = result.quantiles(["arr", "customers", "mrr"], wide=True)
            _atomic(folder / "quantiles.csv", lambda p: q.to_csv(p, index=False))
        outputs = {
            "result": f"{job.slug}/result.npz",
            "summary": f"{job.slug}/summary.csv",
            "quantiles": f"{job.slug}/quantiles.csv",
        }
        if job.report:
            stage = "report"
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


# -- progress ----------------------------------------------------------------------------------------


class _Progress:
    """A tqdm bar on a terminal, else one line per scenario on stderr; or nothing."""

    def __init__(self, mode: str | None, total: int, done: int, lang: str | None = None):
        from ..words.i18n import Translator

        self.mode, self.total, self.done = mode, total, done
        self._ = Translator(lang or "en")  # the progress lines' words
        self.bar = None
        if mode == "bar":
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=done, desc="batch", unit="scenario")

    def line(self, text: str) -> None:
        if self.mode == "lines":
            print(text, file=sys.stderr, flush=True)

    def finished(self, entry: dict) -> None:
        self.done += 1
        label = self._(STATUS_LABELS.get(entry["status"], entry["status"]))
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(f"{entry['slug']}: {label}")
        if entry["status"] == "failed":
            why = (entry.get("error") or "").splitlines()[:1]
            label = self._(
                "failed at {stage}: {error}",
                stage=entry.get("stage", "?"),
                error=why[0] if why else "",
            )
        seconds = f" ({entry['seconds']:.1f} s)" if "seconds" in entry else ""
        self.line(f"[{self.done}/{self.total}] {entry['slug']}: {label}{seconds}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# -- the batch ---------------------------------------------------------------------------------------


def _up_to_date(job: Job, previous: dict | None, out_dir: Path) -> bool:
    return (
        bool(previous)
        and previous.get("key") == job.key
        and previous.get("slug") == job.slug
        and previous.get("status") in ("ok", "up-to-date")
        and outputs_whole(out_dir, previous)
    )


def _pending(job: Job) -> dict:
    return {
        "source": job.source,
        "slug": job.slug,
        "content_hash": job.content_hash,
        "key": job.key,
        "status": "pending",
    }


def default_max_memory(jobs: int = 1) -> int | None:
    """Half the machine's memory shared by ``jobs`` workers (None where the size is unknown)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
    return max(1, total // 2 // max(1, jobs))


def run_batch(
    sources: Iterable[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    paths: int = 10_000,
    seed: int = 42,
    force: bool = False,
    report: bool = True,
    progress: bool | str = True,
    executor: Executor | None = None,
    timeout: float | None = None,
    max_memory: int | None = -1,
    max_customers: float | None = MAX_CUSTOMERS,
    lang: str | None = None,
) -> BatchResult:
    """Run every scenario, writing ``manifest.json`` and ``index.html`` into ``out_dir`` as each finishes.

    Parameters
    ----------
    sources : files or folders of scenario YAML
    out_dir : where outputs go (created); nothing is written outside it
    jobs : local worker processes (ignored with ``scheduler`` or ``executor``)
    scheduler : a Dask scheduler address such as ``tcp://127.0.0.1:8786``
    paths, seed : Monte Carlo settings, the same for every scenario (common random numbers)
    force : re-run scenarios that are up to date
    report : render each scenario's HTML report
    progress : ``True`` shows a bar on a terminal and a line per scenario otherwise (on stderr);
        ``"bar"`` or ``"lines"`` choose; ``False`` is silent
    executor : any ``concurrent.futures`` executor to use instead
    timeout : seconds a scenario may take to load, simulate and write its tables (local processes;
        Dask runs tasks in threads, where no limit applies); each report cell gets as long
    max_memory : bytes a scenario's results may take (default ``-1``: half the machine's memory over
        ``jobs``; ``None``: no limit)
    max_customers : refuse a scenario whose expected customers pass this in some month
    lang : language of ``index.html`` and of the reports (``en`` or ``ja``); by default each report
        follows its scenario's ``language:`` and the index is in English
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if max_memory == -1:
        max_memory = default_max_memory(1 if scheduler or executor else jobs)
    todo = plan(
        expand_sources(sources),
        out,
        paths,
        seed,
        report,
        timeout=timeout,
        max_memory=max_memory,
        max_customers=max_customers,
        lang=lang,
    )
    remove_stale_temporaries(out)
    for job in todo:
        remove_stale_temporaries(out / job.slug)
    previous = {} if force else load_manifest(out)
    entries: dict[str, dict] = {}
    settings = {"paths": paths, "seed": seed, "report": report}
    runnable = []
    for job in todo:
        before = previous.get(job.source)
        if _up_to_date(job, before, out):
            entries[job.source] = {**before, "status": "up-to-date"}
        else:
            runnable.append(job)

    if progress is True:
        progress = "bar" if sys.stderr.isatty() else "lines"
    shown = _Progress(progress or None, len(todo), 0, lang)
    _ = shown._
    if scheduler:
        where = _("on {scheduler}", scheduler=scheduler)
    elif executor is not None:
        where = _("on the given executor")
    else:
        where = _("in 1 process") if jobs == 1 else _("in {jobs} processes", jobs=jobs)
    counts = {"count": len(todo), "out": out, "fresh": len(todo) - len(runnable)}
    counts.update(todo=len(runnable), where=where)
    if len(todo) == 1:
        shown.line(
            _("batch: 1 scenario into {out}; {fresh} up to date, {todo} to run {where}", **counts)
        )
    else:
        shown.line(
            _(
                "batch: {count} scenarios into {out}; {fresh} up to date, {todo} to run {where}",
                **counts,
            )
        )
    for job in todo:
        if job.source in entries:
            shown.finished(entries[job.source])

    def current() -> BatchResult:
        return BatchResult(out, [entries.get(j.source) or _pending(j) for j in todo])

    def save() -> BatchResult:
        res = current()
        write_manifest(out, res.entries, settings)
        _write_index(res, lang)
        return res

    save()
    try:
        for entry in _execute(runnable, jobs, scheduler, executor):
            entries[entry["source"]] = entry
            save()
            shown.finished(entry)
    finally:
        shown.close()
    return current()


def _write_index(result: BatchResult, lang: str | None = None) -> None:
    from ..reporting.batch_index import write_index
    from ..words.i18n import resolve_lang

    lang = resolve_lang(lang)

    write_index(result, lang)


def _execute(jobs: list[Job], n: int, scheduler: str | None, executor: Executor | None):
    for i, out in run_tasks(run_job, jobs, jobs=n, scheduler=scheduler, executor=executor):
        if isinstance(out, BaseException):  # the worker itself failed: report it, keep going
            out = {
                **asdict(jobs[i]),
                "status": "failed",
                "stage": "worker",
                "error": f"{type(out).__name__}: {out}",
                "cssim_version": __version__,
            }
        yield out
