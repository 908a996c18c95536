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
the numbers are the same either way (see :mod:`cssim.model.randomness`). Each scenario is one
:class:`~cssim.runs.worker.Job`, run by :func:`cssim.runs.worker.run_job`; this module plans the jobs,
skips those up to date, and keeps the manifest, the index and the progress lines as they finish.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .._version import __version__
from .executors import run_tasks
from .folder_lock import FolderBusy, folder_lock
from .manifest import (
    MANIFEST,
    STATUS_LABELS,
    load_manifest,
    outputs_whole,
    remove_stale_temporaries,
    write_manifest,
)
from .naming import unique_slugs
from .worker import MAX_CUSTOMERS, Job, LimitExceeded, run_job

__all__ = [
    "INDEX",
    "MANIFEST",
    "BatchResult",
    "FolderBusy",
    "Job",
    "LimitExceeded",
    "expand_sources",
    "find_sources",
    "run_batch",
]

INDEX = "index.html"


@dataclass
class BatchResult:
    """What a batch did: the manifest entries in input order, and where the index is."""

    out_dir: Path
    entries: list[dict] = field(default_factory=list)
    #: Sources left out because they name a file given before (a second link to it):
    #: ``{"source": ..., "same_as": ...}``, also in the manifest.
    duplicates: list[dict] = field(default_factory=list)

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
    """Scenario files from files and folders, in order, once each (:func:`find_sources`)."""
    return find_sources(sources)[0]


def find_sources(sources: Iterable[str | os.PathLike]) -> tuple[list[Path], list[dict]]:
    """Scenario files from files and folders, in order, once each; and those left out as duplicates.

    A folder gives its ``*.yaml`` and ``*.yml`` entries (sorted) that are not folders: regular files and
    links, a link that dangles or loops included, so that every source is reported (as a failure when
    it cannot be read) rather than dropped. A source that does not exist is kept for the same reason.
    A source that names a file given before (a link to it, or the same path twice) is left out and
    listed as ``{"source": path, "same_as": the path that runs}``.
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
    seen: dict[str, Path] = {}
    unique, duplicates = [], []
    for p in out:
        k = os.path.realpath(p)  # never raises, even on a link loop
        if k not in seen:
            seen[k] = p
            unique.append(p)
        elif str(p) != str(seen[k]):  # the same path given twice is not worth a word
            duplicates.append({"source": str(p), "same_as": str(seen[k])})
    return unique, duplicates


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
    sampling: str | None = None,
) -> list[Job]:
    """One :class:`Job` per source, each with its own output folder inside ``out_dir``."""
    jobs = []
    for src, slug in zip(sources, unique_slugs(sources), strict=True):
        try:
            content = src.read_bytes()
        except OSError:
            content = b""  # reported when the job loads it
        h = _digest(content)
        settings = [h, paths, seed, report, lang, __version__, _template_hash()]
        if sampling is not None:  # a batch with the scenarios' own sampling keeps its keys
            settings.append(sampling)
        key = _digest(json.dumps(settings).encode())
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
                sampling,
            )
        )
    return jobs


def _template_hash() -> str:
    tpl = Path(__file__).parents[1] / "reporting" / "templates" / "report.ipynb"
    return _digest(tpl.read_bytes()) if tpl.exists() else ""


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
    sampling: str | None = None,
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
    sampling : how every scenario's uncertain parameters are drawn (``random``, ``lhs`` or ``sobol``);
        by default each scenario's own ``sampling:``

    Raises
    ------
    FolderBusy
        Another batch is writing into ``out_dir`` (:mod:`cssim.runs.folder_lock`); nothing was done.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with folder_lock(out):
        return _run_batch(
            sources,
            out,
            jobs=jobs,
            scheduler=scheduler,
            paths=paths,
            seed=seed,
            force=force,
            report=report,
            progress=progress,
            executor=executor,
            timeout=timeout,
            max_memory=max_memory,
            max_customers=max_customers,
            lang=lang,
            sampling=sampling,
        )


def _run_batch(
    sources: Iterable[str | os.PathLike],
    out: Path,
    *,
    jobs: int,
    scheduler: str | None,
    paths: int,
    seed: int,
    force: bool,
    report: bool,
    progress: bool | str,
    executor: Executor | None,
    timeout: float | None,
    max_memory: int | None,
    max_customers: float | None,
    lang: str | None,
    sampling: str | None,
) -> BatchResult:
    """:func:`run_batch` once it holds the output folder's lock."""
    if max_memory == -1:
        max_memory = default_max_memory(1 if scheduler or executor else jobs)
    found, duplicates = find_sources(sources)
    todo = plan(
        found,
        out,
        paths,
        seed,
        report,
        timeout=timeout,
        max_memory=max_memory,
        max_customers=max_customers,
        lang=lang,
        sampling=sampling,
    )
    remove_stale_temporaries(out)
    for job in todo:
        remove_stale_temporaries(out / job.slug)
    previous = {} if force else load_manifest(out)
    entries: dict[str, dict] = {}
    settings = {"paths": paths, "seed": seed, "report": report, "duplicates": duplicates}
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
    for d in duplicates:
        shown.line(_("{source}: the same file as {same_as}, which runs once", **d))
    for job in todo:
        if job.source in entries:
            shown.finished(entries[job.source])

    def current() -> BatchResult:
        return BatchResult(out, [entries.get(j.source) or _pending(j) for j in todo], duplicates)

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
