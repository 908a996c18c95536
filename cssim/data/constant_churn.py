"""Constant churn: the geometric model, the limit of the sBG without heterogeneity."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .active_counts import read_cohorts

__all__ = ["GeometricFit", "fit_geometric"]


@dataclass(frozen=True)
class GeometricFit:
    """Constant churn probability per period (the geometric model), fitted to the same data.

    ``churn`` = churners / customer-periods at risk (the MLE), ``se`` = sqrt(c (1 - c) / at_risk).
    """

    churn: float
    se: float
    log_likelihood: float
    churned: int
    at_risk: int

    @property
    def aic(self) -> float:
        return 2 * 1 - 2 * self.log_likelihood

    def survival(self, t) -> np.ndarray | float:
        out = (1.0 - self.churn) ** np.asarray(t, dtype=float)
        return float(out) if np.ndim(out) == 0 else out

    def __repr__(self) -> str:
        return (
            f"<GeometricFit churn={self.churn:.4g} (se {self.se:.2g}), "
            f"log-likelihood {self.log_likelihood:.2f}, {self.churned} churned of {self.at_risk} at risk>"
        )


def fit_geometric(
    active=None, *, churned: float | None = None, at_risk: float | None = None
) -> GeometricFit:
    """Constant-churn MLE from cohort active counts (as :func:`fit_sbg`), or from totals directly.

    .. math:: \\hat c = D / R, \\quad SE = \\sqrt{\\hat c (1 - \\hat c) / R}, \\quad
              LL = D \\ln \\hat c + (R - D) \\ln (1 - \\hat c)

    with D churners and R customer-periods at risk. From cohorts, LL is the likelihood of the same
    lifetimes :func:`fit_sbg` sees, so the two log-likelihoods compare directly.
    """
    if active is not None:
        cohorts = read_cohorts(active)
        D = sum(float(a[0] - a[-1]) for a in cohorts)
        R = sum(float(a[:-1].sum()) for a in cohorts)
    else:
        if churned is None or at_risk is None:
            raise ValueError("give active counts, or churned and at_risk")
        D, R = float(churned), float(at_risk)
    if R <= 0:
        raise ValueError("no customer-periods at risk")
    c = D / R
    ll = (D * math.log(c) if D > 0 else 0.0) + ((R - D) * math.log1p(-c) if R > D else 0.0)
    return GeometricFit(
        churn=c,
        se=math.sqrt(c * (1 - c) / R),
        log_likelihood=ll,
        churned=round(D),
        at_risk=round(R),
    )
