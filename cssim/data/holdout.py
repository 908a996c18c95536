"""The holdout check of the churn forms: fit on the months up to a cutoff, predict the active customers
of those cohorts afterwards, and compare with what happened."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .churn_forms import ChurnCells, ChurnForm, _fit_churn_form, churn_cells
from .constant_churn import GeometricFit, fit_geometric
from .history import BillingHistory
from .retention import SBGFit, fit_sbg

__all__ = ["HoldoutCheck"]


@dataclass(frozen=True)
class HoldoutCheck:
    """Fit on months up to ``cutoff``; predict the active customers of those cohorts afterwards.

    ``table`` has per held-out month the actual and predicted active customers under each churn form
    (``sbg``, ``onboarding``: a higher churn for the first months of tenure, ``constant``); ``mape`` the mean
    absolute percentage error of each (NaN for a form that could not be fitted).
    """

    cutoff: str
    table: pd.DataFrame
    mape: dict
    sbg: SBGFit | None
    geometric: GeometricFit | None
    onboarding: ChurnForm | None = None


def _holdout(data: BillingHistory, fraction: float = 2 / 3) -> HoldoutCheck | None:
    T = len(data.months) - 1
    if T < 6:
        return None
    cut = max(2, round(T * fraction))
    train, keep = [], []
    for _, s, a in data.cohorts:
        k = cut - s  # last tenure observed by the cutoff
        if k >= 1 and s + len(a) - 1 > cut:
            train.append(a[: k + 1])
            keep.append((s, a, k))
        elif k >= 1:
            train.append(a[: k + 1])
    if not keep or not train:
        return None
    try:
        sbg = fit_sbg(train)
    except ValueError:
        sbg = None
    geo = fit_geometric(train)
    # the same cohorts' tenure cells up to the cutoff (the opening base, of unknown tenure, left out)
    cells = churn_cells(data).upto(cut)
    onb = _fit_churn_form("onboarding", ChurnCells(cells.cohort, cells.base[:0]))
    rows = []
    for t in range(cut + 1, T + 1):
        actual = pred_s = pred_g = pred_o = 0.0
        for s, a, k in keep:
            j = t - s
            if j >= len(a):
                continue
            actual += a[j]
            pred_g += a[k] * (1 - geo.churn) ** (j - k)
            if sbg is not None:
                pred_s += a[k] * sbg.survival(j) / sbg.survival(k)
            if onb is not None:
                pred_o += a[k] * float(np.prod(1.0 - onb.hazard(np.arange(k + 1, j + 1))))
        rows.append(
            {
                "month": str(data.months[t]),
                "actual": actual,
                "sbg": pred_s if sbg is not None else np.nan,
                "onboarding": pred_o if onb is not None else np.nan,
                "constant": pred_g,
            }
        )
    table = pd.DataFrame(rows).set_index("month")
    table = table[table["actual"] > 0]
    if table.empty:
        return None
    mape = {
        k: float((table[k] - table["actual"]).abs().div(table["actual"]).mean())
        for k in ("sbg", "onboarding", "constant")
    }
    return HoldoutCheck(
        cutoff=str(data.months[cut]),
        table=table,
        mape=mape,
        sbg=sbg,
        geometric=geo,
        onboarding=onb,
    )
