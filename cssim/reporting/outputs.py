"""Files the command line writes from the analyses: levers, sweep and compare tables and charts.

The analyses in :mod:`cssim.analysis` compute and return; writing their results to disk is done
here, always atomically (a temporary file beside the target, then a rename) and with the user's
usual permissions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..model.atomic import atomic as _atomic
from ..model.csvout import write_csv
from ..model.scenario import Scenario

__all__ = ["write_compare_csv", "write_levers_outputs", "write_sweep_csv"]


def write_sweep_csv(result, path: str | os.PathLike) -> Path:
    """Write a :class:`~cssim.analysis.sweep.SweepResult`'s table (one row per grid point) as CSV."""
    return write_csv(result.table, path)


def write_compare_csv(comparison, path: str | os.PathLike) -> Path:
    """Write a comparison's summary (one row per scenario against the first) as CSV."""
    table = comparison.summary()
    return write_csv(table, path)


def write_levers_outputs(
    scenario: Scenario,
    out,
    *,
    paths: int = 2000,
    seed: int | None = 42,
    costs: Mapping[str, float] | None = None,
    lang: str = "en",
) -> dict[str, object]:
    """Run the strategy analysis and write its tables, charts and page to the folder ``out``.

    Writes ``levers.csv`` (:meth:`LeverResult.to_frame`), ``levers.png``, ``roi.csv`` and ``per_cost.csv``
    (:meth:`LeverResult.per_cost`: the levers ranked at equal cost) with costs (``costs``, else the
    scenario's ``lever_costs``, whose levers then run at the equal-effort sizes they price),
    ``breakeven.csv`` (:func:`cssim.analysis.breakeven.breakeven_table`), ``tornado.csv`` and ``tornado.png``
    (when inputs are uncertain), ``marginal_value.csv`` (when every segment has monthly churn). Returns
    ``{"result": LeverResult, "files": [paths written]}``. ``levers.html`` is the page people read,
    in ``lang`` (:func:`cssim.reporting.pages.write_levers_page`).
    """
    import matplotlib.pyplot as plt

    from ..words.fonts import use_fonts
    from .pages import write_levers_page

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)

    from ..analysis.breakeven import breakeven_table
    from ..analysis.levers import EQUAL_EFFORT, levers, marginal_value
    from ..analysis.sensitivity import tornado

    out = Path(out)
    size = None
    if costs is None and scenario.lever_costs:
        # the scenario's lever_costs price the equal-effort levers: run those at the sizes priced
        costs = dict(scenario.lever_costs)
        size = {name: EQUAL_EFFORT[name] for name in costs}
    res = levers(scenario, paths=paths, seed=seed, size=size, costs=costs)
    files = []

    def csv(name: str, df: pd.DataFrame) -> None:
        files.append(write_csv(df, out / name))

    def png(name: str, ax) -> None:
        files.append(
            _atomic(
                out / name,
                lambda p: ax.figure.savefig(p, dpi=120, bbox_inches="tight", format="png"),
            )
        )
        plt.close(ax.figure)

    csv("levers.csv", res.to_frame())
    png("levers.png", res.plot(lang=lang))
    if costs:
        csv("roi.csv", res.roi())
        csv("per_cost.csv", res.per_cost("gross_profit_cum"))
    be = breakeven_table(scenario)
    csv("breakeven.csv", be)
    t = None
    if scenario.uncertain():
        t = tornado(scenario)
        csv("tornado.csv", t.to_frame())
        png("tornado.png", t.plot(lang=lang))
    if all(s.churn.monthly is not None for s in scenario.segments):
        names = ["churn_rel"] + (
            ["expansion_rel"]
            if all(s.expansion is not None for s in scenario.segments)
            else ["expansion_pt"]
        )
        csv("marginal_value.csv", marginal_value(scenario, names).to_frame())
    files.append(
        write_levers_page(scenario, res, out / "levers.html", tornado=t, breakeven=be, lang=lang)
    )
    return {"result": res, "files": files}
