r"""Are the customers who leave smaller than the rest? The MRR of each departure against the average.

Unless a scenario says otherwise (``churn.leaver_mrr``, :mod:`cssim.model.leaver_mrr`), cssim's churn
takes a leaver's MRR as its cohort's average. Billing data measure it: for every customer active in
month :math:`t - 1` and gone in month :math:`t`, its last MRR relative to the average MRR in
:math:`t - 1` of the active customers of its own cohort :math:`g(i)` (the month it was first seen; those
already there at the start are one cohort), so that accounts that grow with tenure, and churn that
changes with tenure, are not mistaken for size:

.. math:: x_i = M_{i,t-1} \Big/ \overline{M}_{g(i),t-1}, \qquad
          \hat\rho = \frac1k \sum_i x_i, \qquad \mathrm{SE}(\hat\rho) = s_x / \sqrt{k},

over the :math:`k` departures from cohorts with at least two active customers that month (a lone
customer is its own average). :math:`\hat\rho < 1` means small accounts leave more often: MRR is lost
more slowly than customers, and a forecast that takes leavers at the average loses too much MRR (its
MRR leans low, more so further ahead). :math:`\hat\rho > 1` the other way. A calibration writes
:math:`\hat\rho` as ``churn.leaver_mrr``, whose leaver takes :math:`w(h) = (1 - (1 - h)^\rho) / h` of the
average: :math:`\rho` itself as :math:`h \to 0`, 0.71 for :math:`\rho = 0.7` at :math:`h = 10\%`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["SIZE_GAP", "LeaverSize", "leaver_size"]

#: a ratio this far from 1 (and more than two standard errors away) is worth saying
SIZE_GAP = 0.1


@dataclass(frozen=True)
class LeaverSize:
    """``ratio`` (:math:`\\hat\\rho`) with its standard error ``se`` over ``departures`` leavers."""

    ratio: float
    se: float
    departures: int

    @property
    def differs(self) -> bool:
        """True when the leavers' size differs from the average by at least :data:`SIZE_GAP` and by
        more than two standard errors."""
        gap = abs(self.ratio - 1.0)
        return gap >= SIZE_GAP and gap > 2.0 * self.se


def leaver_size(M: np.ndarray) -> LeaverSize | None:
    """:math:`\\hat\\rho` from an accounts x months MRR matrix ``M`` (0 = not a customer that month);
    None with fewer than 10 departures."""
    M = np.asarray(M, float)
    paying = M > 0
    seen = paying.any(1)
    M, paying = M[seen], paying[seen]
    cohort = paying.argmax(1)  # the month each customer is first seen
    groups = M.shape[1]
    x = []
    for t in range(1, M.shape[1]):
        active = paying[:, t - 1]
        g = cohort[active]
        n = np.bincount(g, minlength=groups)
        total = np.bincount(g, weights=M[active, t - 1], minlength=groups)
        left = active & ~paying[:, t]
        gl = cohort[left]
        ok = n[gl] >= 2
        x.append(M[left, t - 1][ok] / (total[gl][ok] / n[gl][ok]))
    x = np.concatenate(x) if x else np.empty(0)
    k = int(x.size)
    if k < 10:
        return None
    return LeaverSize(float(x.mean()), float(x.std(ddof=1) / math.sqrt(k)), k)
