r"""Band widening from the company's own rolling-origin backtest.

A calibrated forecast's spread is parameter uncertainty (the fits' standard errors) plus process noise,
*given* the chosen forms. When the company does not behave like any of cssim's forms the bands are too
narrow, and nothing inside the fit can tell. The company's own past can: :func:`backtest_widening` puts
the calibration at several past forecast origins and asks how wide the parameter uncertainty would have
had to be for those past forecasts to keep their promise.

The rule
--------
For origins :math:`o \in \{T-12, T-9, T-6, T-3\}` months back (those leaving at least 7 months to fit
on), the calibration is fitted to the months up to :math:`o` and simulated (``paths`` paths, one seed
for every factor, so the factors are compared on common random numbers). Every fitted parameter's
spread is scaled by a factor :math:`k` around its mean (:func:`widen_scenario`), and for horizons
:math:`h \in \{3, 6, 12\}` (as far as the data reach) and metrics :math:`m \in` {customers, MRR} the
truth :math:`y_{o,h,m}` is set against the forecast's P10 and P90. The factor is

.. math:: k^* = \min \Big\{ k \in G : \frac{1}{N} \sum_{o,h,m}
          \mathbf{1}\big[q^{(k)}_{0.1}(o,h,m) \le y_{o,h,m} \le q^{(k)}_{0.9}(o,h,m)\big]
          \ge 0.8 \Big\},
          \qquad G = (1, 1.25, 1.5, 2, 2.5, 3, 4, 6),

pooled over the :math:`N` (origin, horizon, metric) triples; :math:`k^* = 1` when the past forecasts
were already covered, and the largest factor of the grid (``reached = False``) when none is enough.

Scaling a spread :math:`s` by :math:`k` in the scenario format:

- ``normal``, ``lognormal`` and ``beta`` (mean, sd): ``sd`` becomes :math:`k s`, the mean kept, cut
  back where 92% of the mass would leave the field's range and, for a beta, to
  :math:`\sqrt{m(1-m)/2}` (:func:`~cssim.data.spread.scale_spread`);
- a ``joint`` covariance :math:`\Sigma` becomes :math:`k^2 \Sigma` (on its log / logit / log1p scales,
  correlations unchanged), then narrowed to the fields' ranges as calibration does
  (:func:`~cssim.model.joint.narrow_to_ranges`).

Fixed numbers stay fixed. The widened scenario is an ordinary scenario: reports, batches and the
explorer read it unchanged, and its description says the factor.

Why inflate the parameters rather than add a noise term on the outcome: the scenario format has no
outcome noise, and a wider parameter spread propagates through the model's own dynamics (a wider churn
compounds over the horizon, as a misspecified churn does), so the widened bands grow with the horizon
the way the backtest errors do. The cost: a company whose fits have tiny standard errors (thousands
of accounts) gains little even at :math:`k = 6`; ``reached`` says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model.errors import ScenarioError
from ..model.joint import narrow_to_ranges
from ..model.scenario import Scenario
from ..model.segment import Segment
from .spread import scale_spread

__all__ = ["GRID", "HORIZONS", "ORIGINS_BACK", "Widening", "backtest_widening", "widen_scenario"]

#: the inflation factors tried, smallest first
GRID = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0)
#: months ahead scored from each past origin
HORIZONS = (3, 6, 12)
#: past origins, in months before the last month
ORIGINS_BACK = (12, 9, 6, 3)
#: the band and its promised coverage
TARGET = 0.8
METRICS = ("customers", "mrr")
_MIN_FIT_MONTHS = 7


@dataclass(frozen=True, eq=False)
class Widening:
    """What :func:`backtest_widening` found.

    Attributes
    ----------
    factor : float
        :math:`k^*`, the spread factor applied (1: the past forecasts were covered as they were).
    reached : bool
        Whether some factor of the grid met the target (else ``factor`` is the grid's largest).
    coverage_before, coverage_after : float
        Share of the backtest's truths inside P10-P90 at :math:`k = 1` and at :math:`k^*`.
    table : DataFrame
        One row per (origin, horizon, metric): ``origin`` (the last month fitted), ``horizon``,
        ``metric``, ``truth``, ``p10``, ``p50``, ``p90`` (at :math:`k^*`), ``covered_before``,
        ``covered_after``.
    coverage : dict
        Pooled coverage for every factor tried.
    paths, seed : int
    seconds : float
        Wall time of the backtest.
    """

    factor: float
    reached: bool
    coverage_before: float
    coverage_after: float
    table: pd.DataFrame = field(repr=False)
    coverage: dict = field(default_factory=dict)
    target: float = TARGET
    paths: int = 400
    seed: int = 0
    seconds: float = 0.0


# -- widening a scenario ------------------------------------------------------------------------------


def _walk(node, k: float, path: str):
    if isinstance(node, dict):
        if "kind" in node:
            return scale_spread(node, k, path) if k != 1 else node
        return {
            key: (value if key == "joint" else _walk(value, k, f"{path}.{key}" if path else key))
            for key, value in node.items()
        }
    return node


def widen_scenario(scenario: Scenario, k: float) -> Scenario:
    r"""``scenario`` with every fitted parameter's spread scaled by ``k`` around its mean.

    ``normal``/``lognormal``/``beta`` sds times :math:`k` (kept valid), ``joint`` covariances times
    :math:`k^2` (then narrowed to the fields' ranges); see the module docstring. ``k = 1`` returns
    ``scenario`` itself.
    """
    if k == 1:
        return scenario
    data = scenario.to_dict()
    segments = []
    for seg in data["segments"]:
        new = _walk(seg, k, "")
        joint = seg.get("joint")
        if joint:
            S = np.asarray(joint["covariance"], float) * k * k
            centres = {n: _value(new, n) for n in joint["parameters"]}
            fitted, _ = narrow_to_ranges(Segment, centres, {**joint, "covariance": S})
            new["joint"] = {
                **joint,
                "covariance": [
                    [float(f"{x:.6g}") for x in row] for row in np.asarray(fitted["covariance"])
                ],
            }
        segments.append(new)
    data["segments"] = segments
    note = (
        f" Bands widened: every fitted parameter's spread times {k:g}, from the company's own "
        "rolling-origin backtest (cssim.data.widening)."
    )
    data["description"] = (data.get("description") or "")[: 5000 - len(note)] + note
    return Scenario.from_dict(data, source=f"scenario widened x{k:g}")


def _value(seg: dict, name: str) -> float:
    node = seg
    for part in name.split("."):
        node = node[part]
    return float(node["mean"] if isinstance(node, dict) else node)


# -- the backtest behind the factor -------------------------------------------------------------------


def backtest_widening(
    clean: pd.DataFrame,
    kind: str,
    source: str,
    provenance=None,
    *,
    options: dict | None = None,
    paths: int = 400,
    seed: int = 0,
    grid: tuple = GRID,
    horizons: tuple = HORIZONS,
    origins_back: tuple = ORIGINS_BACK,
    target: float = TARGET,
    carrier: Scenario | None = None,
) -> Widening | None:
    """Find the spread factor :math:`k^*` from past forecasts of this company (module docstring).

    Parameters
    ----------
    clean : DataFrame
        The billing table as read (``customer, month, mrr``); ``kind`` must be ``"mrr"``.
    options : dict
        Passed to :func:`~cssim.data.fit_table.calibrate_table` at every origin (``forms``,
        ``segment`` ...).
    paths, seed : int
        Monte Carlo paths of each past forecast, and their seed (one seed for every factor).
    carrier : Scenario, optional
        The scenario that will carry the factor (the calibration on all months): a factor is tried
        only if it and every past fit can be widened by it within a scenario's limits.

    Returns
    -------
    Widening or None
        None when the data leave no origin with at least 7 months to fit on and 3 months after it,
        or are not a per-customer MRR table.
    """
    from ..model.engine import simulate
    from .fit_table import calibrate_table
    from .history import _wide
    from .reading import CalibrationError

    if kind != "mrr":
        return None
    started = time.perf_counter()
    M, months, _ = _wide(clean)
    truth = {"customers": (M > 0).sum(0).astype(float), "mrr": M.sum(0)}
    n = len(months)
    fitted = []  # (origin index, horizons, scenario)
    for back in sorted(set(origins_back), reverse=True):
        cut = n - 1 - back  # index of the last month fitted
        hs = [h for h in horizons if cut + h <= n - 1]
        if cut + 1 < _MIN_FIT_MONTHS or not hs:
            continue
        train = clean[clean["month"] <= months[cut]]
        try:
            cal = calibrate_table(
                train, kind, source, provenance, horizon_months=max(hs), **(options or {})
            )
        except CalibrationError:
            continue
        fitted.append((cut, hs, cal.scenario))
    if not fitted:
        return None
    coverage, bands = {}, {}
    chosen = None
    for k in grid:
        try:
            widened = [(cut, hs, widen_scenario(scenario, k)) for cut, hs, scenario in fitted]
            if carrier is not None:
                widen_scenario(carrier, k)
        except ScenarioError:
            # wider, the spread would let the company reach more customers or money than a
            # scenario may hold (cssim.model.limits): the last factor tried is the widest
            break
        rows = []
        for cut, hs, scenario in widened:
            res = simulate(scenario, paths=paths, seed=seed)
            for metric in METRICS:
                sims = np.asarray(res[metric], float)
                for h in hs:
                    p10, p50, p90 = np.quantile(sims[:, h], [0.1, 0.5, 0.9])
                    y = float(truth[metric][cut + h])
                    rows.append((str(months[cut]), h, metric, y, p10, p50, p90, p10 <= y <= p90))
        bands[k] = rows
        coverage[k] = float(np.mean([r[-1] for r in rows]))
        if coverage[k] >= target:
            chosen = k
            break
    reached = chosen is not None
    k_star = chosen if reached else max(coverage)  # the widest factor tried
    first = grid[0]
    table = pd.DataFrame(
        [
            {
                "origin": r[0],
                "horizon": r[1],
                "metric": r[2],
                "truth": r[3],
                "p10": r[4],
                "p50": r[5],
                "p90": r[6],
                "covered_before": bool(b[-1]),
                "covered_after": bool(r[-1]),
            }
            for r, b in zip(bands[k_star], bands[first], strict=True)
        ]
    )
    return Widening(
        factor=float(k_star),
        reached=reached,
        coverage_before=coverage[first],
        coverage_after=coverage[k_star],
        table=table,
        coverage=coverage,
        target=target,
        paths=int(paths),
        seed=int(seed),
        seconds=time.perf_counter() - started,
    )
