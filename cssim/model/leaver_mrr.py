r"""The MRR that leaves with the customers who leave (``churn.leaver_mrr``, :math:`\rho`).

A month with churn probability :math:`h` keeps, in expectation, the share :math:`(1 - h)^{\rho}` of a
cohort's MRR, against :math:`1 - h` of its customers: each customer who leaves takes

.. math:: w(h) = \frac{1 - (1 - h)^{\rho}}{h} \qquad (w(0) = \rho)

times the cohort's average MRR, so the churned MRR of a cohort (or of a bucket of cohorts at one
hazard, or of one usage state of it) with MRR :math:`M` that loses the share :math:`F` of its customers is

.. math:: \min\big(M,\; M F\, w(h)\big),

and all of :math:`M` when no customer stays. :math:`\rho = 1` is churn blind to an account's size, the
model's default (:math:`w = 1`); :math:`\rho < 1` has smaller accounts leave more often. Over months a
cohort keeps, in expectation, its customers' survival to the power :math:`\rho` of its MRR, which is what
the expected paths take. The leaver's weight rests on :math:`h`, not on the drawn :math:`F`, so the
expectation holds however the engine groups its customers (cohorts, buckets, usage states); only the two
limits (no more than the MRR there is, all of it with the last customer) depart from it, in groups of a
few customers.
"""

from __future__ import annotations

import numpy as np

from .arrays import divide, prow

__all__ = ["leaver_power", "mrr_kept", "split_mrr"]


def leaver_power(params: dict, shape=prow):
    """:math:`\\rho` shaped by ``shape`` (:func:`~cssim.model.arrays.prow` for (columns, paths),
    :func:`~cssim.model.arrays.pcol` for (paths, cohorts)), or None when it is 1 on every path (the
    engines then keep the size-blind arithmetic, bit for bit)."""
    rho = shape(params.get("churn.leaver_mrr", 1.0))
    return None if bool(np.all(rho == 1.0)) else rho


def mrr_kept(customers_kept: np.ndarray, rho) -> np.ndarray:
    """:math:`k^{\\rho}`: the expected share of MRR kept when a cohort's survival is ``customers_kept``."""
    return customers_kept if rho is None else np.power(customers_kept, rho)


def split_mrr(mrr: np.ndarray, frac: np.ndarray, hazard, stayed: np.ndarray, rho):
    """The churned MRR of groups losing the share ``frac`` of their customers, and the share of their
    MRR kept (the gross-retention factor): ``M F`` and ``1 - F`` when ``rho`` is None (churn blind to
    size, the engines' arithmetic bit for bit), else :math:`\\min(M, M F w(h))`, all of :math:`M` where
    no customer stays (``stayed`` 0), and ``1 - churned / M`` (1 where there is no MRR). Every engine
    takes its churned MRR from here."""
    if rho is None:
        return mrr * frac, 1.0 - frac
    h = np.asarray(hazard, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(h > 0, -np.expm1(rho * np.log1p(-np.minimum(h, 1.0))) / h, rho)
    churned = np.where(stayed == 0, mrr, np.minimum(mrr * frac * w, mrr))
    return churned, 1.0 - divide(churned, mrr)
