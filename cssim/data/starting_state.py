"""The forecast's month 0: today's customers, MRR and ARPA, and their observed tenures."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .churn_forms import ChurnForm

__all__ = ["StartingState"]


@dataclass(frozen=True)
class StartingState:
    """The forecast's month 0: the last month of the data.

    ``tenure`` is what the scenario's ``starting_tenure`` gets: an int, or ``{min, max, weights}``, the
    observed tenure mix of today's customers (:func:`_tenure_mix`).
    """

    customers: int
    mrr: float
    arpa: float
    tenure: int | dict = 0
    tenures: np.ndarray = field(default=None, repr=False)


def _tenures(M: np.ndarray) -> np.ndarray:
    """Completed tenure at the last month of every active customer (continuous spell to the end)."""
    active = M > 0
    T = M.shape[1]
    now = active[:, -1]
    # months since the spell that is active now began (a reactivation starts a new spell)
    gap = np.where(~active, np.arange(T)[None, :], -1)
    last_gap = gap.max(1)
    return (T - 1 - (last_gap + 1))[now]


def _tenure_mix(
    tenures: np.ndarray | None,
    form: ChurnForm,
    months: int | None = None,
    mrr: np.ndarray | None = None,
) -> int | dict:
    """The scenario's ``starting_tenure``: today's customers by completed tenure, as observed.

    Constant churn: 0 (tenure does not matter). Onboarding over k months: tenures above k are pooled at
    k (past onboarding in the first forecast month). sBG: every observed tenure; customers active since
    the first of the ``months`` months get that tenure plus the opening base's fitted age (at most 600).
    With each active customer's ``mrr``, ``arpa_ratios`` give each tenure's mean MRR over the mean.
    """
    if tenures is None or len(tenures) == 0 or form.form == "monthly":
        return 0
    top = form.months if form.form == "onboarding" else 600
    t = np.asarray(tenures, int)
    if (
        form.form == "sbg" and months is not None
    ):  # the opening base: its fitted age in month 0 added
        t = np.where(t >= months - 1, t + round(form.base_age), t)
    t = np.minimum(t, top)
    lo, hi = int(t.min()), int(t.max())
    if lo == hi:
        return lo
    counts = np.bincount(t - lo, minlength=hi - lo + 1)
    out = {"min": lo, "max": hi, "weights": [float(c) for c in counts]}
    if mrr is not None and len(mrr) == len(t) and np.all(mrr > 0):
        sums = np.bincount(t - lo, weights=mrr, minlength=hi - lo + 1)
        mean = float(mrr.mean())
        ratios = np.where(counts > 0, sums / np.maximum(counts, 1) / mean, 1.0)
        out["arpa_ratios"] = [float(f"{r:.6g}") for r in ratios]
    return out
