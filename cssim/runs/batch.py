"""Scenario batches: every scenario simulated and reported, in parallel, resumable, nothing lost.

A batch writes, into its output folder:

- ``<slug>/result.npz``, ``<slug>/summary.csv``, ``<slug>/quantiles.csv`` and ``<slug>/report.html`` per
  scenario (simulated in the batch's worker processes; a papermill kernel only renders the report);
- ``manifest.json``: per scenario its source, content hash, status (``ok``, ``failed``, ``skipped``),
  outputs, headline figures, seed, paths and cssim version; rewritten atomically after every scenario, so a
  batch that is stopped resumes where it stopped;
- ``index.html``: the scenarios side by side (sortable), their ARR fans compared, links and failures.

A scenario is skipped when its content, the run parameters and the cssim version are unchanged and its
outputs exist; ``force=True`` re-runs everything. Work runs in local processes (``jobs``) or on a Dask
cluster (``scheduler``); the numbers are the same either way (see :mod:`cssim.randomness`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..model.errors import ScenarioError
from .executors import run_tasks

__all__ = ["BatchResult", "Job", "expand_sources", "run_batch"]

MANIFEST = "manifest.json"
INDEX = "index.html"


@dataclass(frozen=True)
class Job:
    """One scenario of a batch: where it comes from and where its outputs go."""

    source: str
    slug: str
    content_hash: str
    key: str
    out_dir: str
    paths: int
    seed: int
    report: bool = True


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
        return 1 if self.failed else 0

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "skipped": 0, "failed": 0}
        for e in self.entries:
            out[e["status"]] += 1
        return out


# -- planning --------------------------------------------------------------------------------------


def expand_sources(sources: Iterable[str | os.PathLike]) -> list[Path]:
    """Scenario files from files and folders (``*.yaml``/``*.yml`` in a folder, sorted), in order, once each.

    A source that does not exist is kept, so that it is reported as a failure rather than dropped.
    """
    out: list[Path] = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            out += sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml") and x.is_file())
        else:
            out.append(p)
    seen, unique = set(), []
    for p in out:
        k = p.resolve()
        if k not in seen:
            seen.add(k)
            unique.append(p)
    return unique


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _slugs(paths: Sequence[Path]) -> list[str]:
    """Output folder names: the file stem, made unique (and safe) when two sources share one."""
    stems = [re.sub(r"[^A-Za-z0-9._-]+", "-", p.stem).strip("-") or "scenario" for p in paths]
    out = []
    for p, s in zip(paths, stems, strict=True):
        if stems.count(s) > 1:
            s = f"{s}-{_digest(str(p.resolve()).encode())[:6]}"
        out.append(s)
    return out


def plan(
    sources: Sequence[Path], out_dir: Path, paths: int, seed: int, report: bool = True
) -> list[Job]:
    jobs = []
    for src, slug in zip(sources, _slugs(sources), strict=True):
        try:
            content = src.read_bytes()
        except OSError:
            content = b""
        h = _digest(content)
        key = _digest(json.dumps([h, paths, seed, report, __version__, _template_hash()]).encode())
        jobs.append(Job(str(src), slug, h, key, str(out_dir), paths, seed, report))
    return jobs


def _template_hash() -> str:
    tpl = Path(__file__).parents[1] / "reporting" / "templates" / "report.ipynb"
    return _digest(tpl.read_bytes()) if tpl.exists() else ""


# -- one scenario (runs in a worker process or on a Dask worker) -----------------------------------------


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
    folder = Path(job.out_dir) / job.slug
    stage = "validate"
    try:
        scenario = load_scenario(job.source)
        entry["name"] = scenario.name
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
            status="ok", outputs=outputs, headline=result.headline(), currency=scenario.currency
        )
    except ScenarioError as e:
        entry.update(status="failed", stage=stage, error=str(e))
    except Exception as e:  # one scenario's failure must never stop the batch
        entry.update(
            status="failed",
            stage=stage,
            error=f"{type(e).__name__}: {e}",
            detail=traceback.format_exc(limit=8),
        )
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
            )
        except Exception as e:  # retry only kernel start-up races, never a failing notebook
            text = f"{type(e).__name__}: {e}"
            if attempt == attempts or not any(s in text for s in _KERNEL_START_ERRORS):
                raise
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


# -- the batch ---------------------------------------------------------------------------------------


def _load_manifest(out_dir: Path) -> dict:
    try:
        data = json.loads((out_dir / MANIFEST).read_text())
        return {e["source"]: e for e in data.get("scenarios", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _up_to_date(job: Job, previous: dict | None) -> bool:
    if (
        not previous
        or previous.get("key") != job.key
        or previous.get("status") not in ("ok", "skipped")
    ):
        return False
    outputs = previous.get("outputs") or {}
    return bool(outputs) and all((Path(job.out_dir) / p).exists() for p in outputs.values())


def _write_manifest(
    out_dir: Path, jobs: list[Job], entries: dict[str, dict], settings: dict
) -> None:
    from ..model.result import _atomic

    data = {
        "cssim_version": __version__,
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        **settings,
        "scenarios": [
            entries.get(
                j.source,
                {
                    "source": j.source,
                    "slug": j.slug,
                    "content_hash": j.content_hash,
                    "key": j.key,
                    "status": "pending",
                },
            )
            for j in jobs
        ],
    }
    text = json.dumps(data, indent=2, default=float)
    _atomic(out_dir / MANIFEST, lambda p: Path(p).write_text(text))


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
    progress: bool = True,
    executor: Executor | None = None,
    lang: str = "en",
) -> BatchResult:
    """Run every scenario, then write ``manifest.json`` and ``index.html`` into ``out_dir``.

    Parameters
    ----------
    sources : files or folders of scenario YAML
    out_dir : where outputs go (created)
    jobs : local worker processes (ignored with ``scheduler`` or ``executor``)
    scheduler : a Dask scheduler address such as ``tcp://127.0.0.1:8786``
    paths, seed : Monte Carlo settings, the same for every scenario (common random numbers)
    force : re-run scenarios that are up to date
    report : render each scenario's HTML report
    executor : any ``concurrent.futures`` executor to use instead
    lang : language of ``index.html`` (``en`` or ``ja``)
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    todo = plan(expand_sources(sources), out, paths, seed, report)
    previous = {} if force else _load_manifest(out)
    entries: dict[str, dict] = {}
    settings = {"paths": paths, "seed": seed}
    runnable = []
    for job in todo:
        if _up_to_date(job, previous.get(job.source)):
            entries[job.source] = {**previous[job.source], "status": "skipped"}
        else:
            runnable.append(job)
    _write_manifest(out, todo, entries, settings)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=len(todo), initial=len(todo) - len(runnable), desc="batch", unit="scenario"
        )
    try:
        for entry in _execute(runnable, jobs, scheduler, executor):
            entries[entry["source"]] = entry
            _write_manifest(out, todo, entries, settings)
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{entry['slug']}: {entry['status']}")
    finally:
        if bar is not None:
            bar.close()
    result = BatchResult(out, [entries[j.source] for j in todo])
    from ..reporting.batch_index import write_index

    write_index(result, lang)
    return result


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
