"""Analyses run and written into a folder, as ``cssim sweep`` and ``cssim compare`` do them.

- :func:`run_sweep`: a grid over one or two fields (:func:`cssim.analysis.sweep.sweep`) on local
  processes or a Dask cluster, written as ``DIR/sweep.csv`` and ``DIR/sweep.html``;
- :func:`run_compare`: scenarios side by side on common random numbers
  (:func:`cssim.analysis.compare.compare`), written as ``DIR/compare.csv`` and ``DIR/compare.html``;
- :func:`run_cs_plan`: a CS team at several levels (:func:`cssim.analysis.cs_plan.cs_plan`), written
  as ``DIR/plan.csv`` and ``DIR/plan.html``.

The analyses themselves write nothing; these functions run them and write their tables and pages.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model.scenario import Scenario

__all__ = ["AnalysisRun", "PlanRun", "run_compare", "run_cs_plan", "run_sensitivity", "run_sweep"]


@dataclass(frozen=True)
class AnalysisRun:
    """What an analysis gave (``result``: a sweep or a comparison) and the files written."""

    result: Any
    files: list[Path]


def run_sweep(
    base: Scenario,
    vary: dict[str, list[float]],
    out_dir: str | os.PathLike,
    *,
    paths: int = 2000,
    seed: int = 42,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    lang: str = "en",
) -> AnalysisRun:
    """Sweep ``base`` over the grid ``vary`` and write ``out_dir/sweep.csv`` and ``sweep.html``.

    Parameters
    ----------
    base : the scenario every grid point changes
    vary : ``{field: values}``, one or two fields (:func:`cssim.analysis.sweep.parse_vary` reads
        ``FIELD=LOW:HIGH:STEPS``)
    out_dir : where the table and the page go
    paths, seed : Monte Carlo settings, the same for every point (common random numbers)
    jobs, scheduler : run the points in ``jobs`` local processes or on the Dask cluster at
        ``scheduler`` (:func:`cssim.runs.executors.executor`)
    progress : show a progress bar
    lang : language of the page
    """
    from ..analysis.sweep import sweep
    from ..reporting.outputs import write_sweep_csv
    from ..reporting.sweep_report import write_sweep_report
    from .executors import executor

    out = Path(out_dir)
    with executor(jobs, scheduler) as pool:
        result = sweep(base, vary, paths=paths, seed=seed, executor=pool, progress=progress)
    csv = write_sweep_csv(result, out / "sweep.csv")
    html = write_sweep_report(result, out / "sweep.html", lang=lang)
    return AnalysisRun(result, [csv, html])


def run_compare(
    scenarios: Sequence[Scenario],
    out_dir: str | os.PathLike,
    *,
    names: Sequence[str],
    paths: int = 10_000,
    seed: int = 42,
    metric: str = "arr",
    lang: str = "en",
) -> AnalysisRun:
    """Compare ``scenarios`` with the first and write ``out_dir/compare.csv`` and ``compare.html``.

    Parameters
    ----------
    scenarios : two or more scenarios of the same horizon
    out_dir : where the table and the page go
    names : how the page names each scenario (its file)
    paths, seed : Monte Carlo settings, the same for every scenario (common random numbers)
    metric : what to compare (a key of :data:`cssim.model.metrics.METRICS`)
    lang : language of the page
    """
    from ..analysis.compare import compare
    from ..reporting.compare_report import write_compare_report
    from ..reporting.outputs import write_compare_csv

    out = Path(out_dir)
    result = compare(list(scenarios), paths=paths, seed=seed, metric=metric)
    csv = write_compare_csv(result, out / "compare.csv")
    html = write_compare_report(result, out / "compare.html", list(names), lang=lang)
    return AnalysisRun(result, [csv, html])


@dataclass(frozen=True)
class PlanRun:
    """A CS plan (``plan``: :class:`cssim.analysis.cs_plan.CSPlan`), its decision in sentences and the
    files written."""

    plan: Any
    sentences: list[str]
    files: list[Path]


def run_cs_plan(
    scenario: Scenario,
    out_dir: str | os.PathLike,
    *,
    segment: str | None = None,
    accounts_per_csm: Sequence[float] | None = None,
    csms: Sequence[float] | None = None,
    paths: int = 2000,
    seed: int = 42,
    lang: str = "en",
) -> PlanRun:
    """Run :func:`cssim.analysis.cs_plan.cs_plan` and write ``out_dir/plan.csv`` and ``plan.html``.

    The sentences (:func:`cssim.reporting.cs_plan_page.plan_sentences`) say the decision first: the
    share of ARR at risk (from today's run), the best level, the chance the next step pays back.
    """
    import numpy as np

    from ..analysis.cs_plan import cs_plan
    from ..model.engine import simulate
    from ..reporting.cs_plan_page import plan_sentences, write_cs_plan

    plan = cs_plan(
        scenario, segment, accounts_per_csm=accounts_per_csm, csms=csms, paths=paths, seed=seed
    )
    share = None
    if scenario.segment(plan.segment).health is not None:
        today = simulate(scenario, paths=paths, seed=seed)
        share = float(np.nanmedian(today.get("arr_at_risk_share")[:, -1]))
    files = write_cs_plan(plan, Path(out_dir), lang, at_risk_share=share)
    return PlanRun(plan, plan_sentences(plan, lang, share), files)


def run_sensitivity(
    scenario: Scenario,
    source: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    method: str = "given",
    paths: int = 10_000,
    seed: int = 42,
    n: int = 1024,
    lang: str = "en",
) -> AnalysisRun:
    """Global sensitivity (:func:`cssim.sensitivity`) written as ``DIR/<name>/sensitivity.csv`` (one row
    per uncertain parameter: ``parameter``, ``label`` in ``lang``, ``output``, ``S1``, ``S1_conf``,
    ``ST``, ``ST_conf``, ``spearman``; through the formula-safe CSV writer) and ``sensitivity.png``
    (drawn in ``lang``), ``<name>`` from the scenario's file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..analysis.indices import sensitivity
    from ..model.atomic import atomic as _atomic
    from ..model.csvout import write_csv
    from .naming import output_slug

    folder = Path(out_dir) / output_slug(source)
    found = sensitivity(scenario, method, paths=paths, seed=seed, n=n)
    files = [write_csv(found.to_frame(lang), folder / "sensitivity.csv")]
    ax = found.plot(lang=lang)
    files.append(
        _atomic(
            folder / "sensitivity.png",
            lambda p: ax.figure.savefig(p, dpi=120, bbox_inches="tight", format="png"),
        )
    )
    plt.close(ax.figure)
    return AnalysisRun(found, files)
