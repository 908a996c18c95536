"""The report's context: its parameters checked, the scenario loaded and simulated once, and what
every section shares (:class:`ReportContext`: scenario, result, language, levers, break-even)."""

from __future__ import annotations

import functools
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...model.engine import simulate
from ...model.result import SimulationResult
from ...model.scenario import Scenario, load_scenario
from ...words import formatting as fm
from ...words.i18n import Translator, resolve_lang

__all__ = ["ANALYSIS_PATHS", "CHURN_ERROR_POINTS", "ReportContext", "check_parameters", "prepare"]

#: Paths the lever and sensitivity sections simulate (at most the report's paths).
ANALYSIS_PATHS = 1000
#: The plausible error in the churn assumption the first screen shows when every assumption is fixed
#: (points of monthly churn: 0.005 = half a point either way).
CHURN_ERROR_POINTS = 0.005


def check_parameters(
    paths: Any = 10_000,
    seed: Any = 42,
    target_arr: Any = None,
    months: Any = None,
    lang: Any = None,
    sampling: Any = None,
    precision: Any = None,
) -> None:
    """Raise ``ValueError`` naming every report parameter that is not allowed."""
    problems = []
    if sampling is not None and sampling not in ("random", "lhs", "sobol"):
        problems.append(f"sampling must be 'random', 'lhs', 'sobol' or None, got {sampling!r}")
    if precision is not None:
        from ...model.precision import check_precision

        stop = _stop_options(precision)
        try:
            check_precision(**stop)
        except (TypeError, ValueError) as e:
            problems.append(str(e))

    def is_int(x):
        return isinstance(x, int | np.integer) and not isinstance(x, bool)

    if not is_int(paths) or paths < 1:
        problems.append(f"paths must be a positive integer, got {paths!r}")
    if not is_int(seed) or seed < 0:
        problems.append(f"seed must be a non-negative integer, got {seed!r}")
    if target_arr is not None and (
        isinstance(target_arr, bool)
        or not isinstance(target_arr, int | float | np.number)
        or not math.isfinite(target_arr)
        or target_arr <= 0
    ):
        problems.append(f"target_arr must be a positive number or None, got {target_arr!r}")
    if months is not None and (not is_int(months) or not 1 <= months <= 240):
        problems.append(
            f"months (the horizon) must be an integer in 1..240 or None, got {months!r}"
        )
    if lang is not None and lang not in ("en", "ja"):
        problems.append(f"lang must be 'en', 'ja' or None, got {lang!r}")
    if problems:
        raise ValueError("report parameters: " + "; ".join(problems))


def _stop_options(precision: Any) -> dict:
    """The precision stop's options from a report's ``precision`` parameter: a number (the relative
    tolerance) or a mapping with ``precision`` and optionally ``confidence``, ``max_paths``, ``stat``."""
    from ...model.precision import DEFAULT_MAX_PATHS

    given = precision if isinstance(precision, dict) else {"precision": precision}
    return {
        "precision": given.get("precision"),
        "confidence": given.get("confidence", 0.95),
        "max_paths": given.get("max_paths") or DEFAULT_MAX_PATHS,
        "stat": given.get("stat", "mean"),
    }


def _scenario(scenario_path: str | os.PathLike, months: int | None) -> Scenario:
    scenario = load_scenario(scenario_path)
    if months is not None:
        scenario = scenario.replace({"horizon_months": int(months)})
    return scenario


@dataclass
class ReportContext:
    """What the report's cells share: the scenario, the result, the language and the options."""

    scenario_path: Path
    scenario: Scenario
    result: SimulationResult
    target_arr: float | None
    seconds: float
    lang: str = "en"
    #: Warnings raised while the report's cells ran (kept out of the page; see :func:`prepare`).
    warnings: list[str] = field(default_factory=list)

    @property
    def t(self) -> Translator:
        return Translator(self.lang)

    @property
    def currency(self) -> str:
        return self.scenario.currency

    @property
    def target(self) -> float | None:
        return self.target_arr if self.target_arr is not None else self.scenario.target_arr

    def money(self, x: float) -> str:
        return fm.money(x, self.currency, self.lang)

    @functools.cached_property
    def levers(self):
        """The levers each moved one step in its own unit (:data:`cssim.analysis.levers.EQUAL_EFFORT`),
        on common random numbers with the report's seed; computed once, shared by the summary and the
        lever section so both show the same figures in the same order."""
        from ...analysis.levers import EQUAL_EFFORT, levers

        r = self.result
        return levers(
            self.scenario,
            paths=min(ANALYSIS_PATHS, r.paths),
            seed=r.seed,
            size=EQUAL_EFFORT,
            names=list(EQUAL_EFFORT),
            costs=dict(self.scenario.lever_costs or {}),
            per_segment=False,
        )

    @functools.cached_property
    def cs_plans(self) -> dict:
        """Per segment with usage states and a CS block (at most three): its CS plan at the levels
        around today's (:func:`cssim.analysis.cs_plan.default_levels`), on the report's seed."""
        from ...analysis.cs_plan import cs_plan, default_levels

        out = {}
        for seg in self.scenario.segments:
            if seg.health is None or seg.cs is None or len(out) >= 3:
                continue
            by, levels = default_levels(seg)
            out[seg.name] = cs_plan(
                self.scenario,
                seg.name,
                paths=min(ANALYSIS_PATHS, self.result.paths),
                seed=self.result.seed,
                **{by: levels},
            )
        return out

    @functools.cached_property
    def breakeven(self) -> pd.DataFrame:
        from ...analysis.breakeven import breakeven_table

        return breakeven_table(self.scenario)

    @functools.cached_property
    def hold_flat(self):
        """What holding the customer base flat takes (:func:`cssim.analysis.breakeven.hold_flat`)."""
        from ...analysis.breakeven import hold_flat

        return hold_flat(self.scenario)

    @functools.cached_property
    def churn_error(self):
        """Expected ARR at the horizon with churn half a point lower and higher
        (:func:`cssim.analysis.breakeven.churn_error`)."""
        from ...analysis.breakeven import churn_error

        return churn_error(self.scenario, CHURN_ERROR_POINTS)

    def lever_words(self, name: str) -> str:
        """A lever as people say it: before → after where one change says it (``Churn 3% → 2% a
        month``), else by its size (``Churn −1 pt a month``)."""
        from ...analysis.lever_rules import lever_changes
        from ...words.labels import lever_change_label, lever_label

        size = self.levers.sizes[name]
        changes = lever_changes(self.scenario, name, size)
        words = lever_change_label(name, changes, self.lang, self.currency)
        return words or lever_label(name, size, lang=self.lang)


def prepare(
    scenario_path: str | os.PathLike,
    paths: int = 10_000,
    seed: int = 42,
    target_arr: float | None = None,
    months: int | None = None,
    result_path: str | os.PathLike | None = None,
    lang: str | None = None,
    sampling: str | None = None,
    precision: float | dict | None = None,
) -> ReportContext:
    """Validate the report's parameters, load the scenario and simulate it.

    ``sampling`` overrides the scenario's ``sampling:``; ``precision`` (a relative tolerance, or a
    mapping with ``precision``, ``confidence``, ``max_paths`` and ``stat``) stops the run when ARR's
    statistic at the horizon is known to it (``paths`` is then not used).

    ``months`` overrides the scenario's horizon; ``target_arr`` its ARR target; ``lang`` its
    ``language:`` (English when neither is given). With ``result_path`` (a result written by
    :meth:`SimulationResult.save`) nothing is simulated: the saved result is reported, and its paths,
    seed and horizon must match the parameters.

    From here on, warnings in this process are recorded in ``ctx.warnings`` instead of being printed:
    in a report kernel a printed warning would land in the page (with the machine's paths).
    """
    check_parameters(paths, seed, target_arr, months, lang, sampling, precision)
    start = time.perf_counter()
    if result_path is None:
        scenario = _scenario(scenario_path, months)
        if precision is None:
            result = simulate(scenario, paths=int(paths), seed=int(seed), sampling=sampling)
        else:
            stop = _stop_options(precision)
            result = simulate(
                scenario,
                seed=int(seed),
                sampling=sampling,
                precision=stop["precision"],
                confidence=stop["confidence"],
                max_paths=stop["max_paths"],
                precision_stat=stop["stat"],
            )
        scenario = result.scenario  # its sampling: the sections' own runs draw the same way
    else:
        result = SimulationResult.load(result_path)
        scenario = result.scenario
        wanted = {
            "paths": (paths, result.paths),
            "seed": (seed, result.seed),
            "months": (months, result.horizon),
        }
        bad = [
            f"{k} {a!r} (the result has {b})"
            for k, (a, b) in wanted.items()
            if a is not None and a != b
        ]
        if bad:
            raise ValueError(
                f"report parameters do not match the saved result {result_path}: " + ", ".join(bad)
            )
    ctx = ReportContext(
        Path(scenario_path),
        scenario,
        result,
        None if target_arr is None else float(target_arr),
        time.perf_counter() - start,
        resolve_lang(lang, scenario.language),
    )
    _record_warnings(ctx)
    return ctx


def _record_warnings(ctx: ReportContext) -> None:
    """In a report kernel, keep warnings in ``ctx.warnings`` instead of printing them to the page."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - a report kernel has IPython
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return  # not a kernel (a test, a script): warnings stay where the caller wants them

    def record(message, category, filename, lineno, file=None, line=None):
        ctx.warnings.append(f"{category.__name__}: {message}")

    warnings.showwarning = record
