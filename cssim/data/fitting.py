"""Fitting: every piece of a calibration, collected in one :class:`Fits` object.

The pieces: churn forms (:mod:`cssim.data.churn_forms`) and their holdout check
(:mod:`cssim.data.holdout`), acquisition forms (:mod:`cssim.data.acquisition_fit`), expansion and
contraction and the new-customer ARPA (here), and the starting state (:mod:`cssim.data.starting_state`).
:mod:`cssim.data.calibrate` turns a :class:`Fits` into a scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .acquisition_fit import ACQUISITION_FORMS, AcquisitionFit, _acquisition
from .churn_forms import ChurnForm, _choose_churn, churn_cells
from .constant_churn import GeometricFit, fit_geometric
from .form_choice import forecast_origins, score_weights
from .history import BillingHistory
from .holdout import HoldoutCheck, _holdout
from .leaver_size import LeaverSize, leaver_size
from .retention import SBGFit, fit_sbg
from .starting_state import StartingState, _tenure_mix, _tenures

__all__ = [
    "ACQUISITION_FORMS",
    "AcquisitionFit",
    "ChurnForm",
    "Fits",
    "HoldoutCheck",
    "MovementFit",
    "NewArpaFit",
    "StartingState",
    "fit_all",
]


@dataclass(frozen=True)
class MovementFit:
    """Monthly expansion or contraction: ``rate`` = moved MRR / MRR of staying customers (mean over months,
    ``rate_se`` its standard error), ``probability`` = share of staying accounts that move (binomial SE)."""

    rate: float
    rate_se: float
    probability: float
    probability_se: float
    months: int


def _movement(history: pd.DataFrame, kind: str) -> MovementFit | None:
    h = history.iloc[1:]
    base = h["staying_start_mrr"].to_numpy(float)
    ok = base > 0
    if ok.sum() < 2:
        return None
    r = h[f"{kind}_mrr"].to_numpy(float)[ok] / base[ok]
    movers = h[f"{'expanding' if kind == 'expansion' else 'contracting'}_customers"].to_numpy(
        float
    )[ok]
    stayers = h["staying_customers"].to_numpy(float)[ok]
    p = movers.sum() / stayers.sum()
    return MovementFit(
        rate=float(r.mean()),
        rate_se=float(r.std(ddof=1) / math.sqrt(len(r))),
        probability=float(p),
        probability_se=float(math.sqrt(p * (1 - p) / stayers.sum())),
        months=int(ok.sum()),
    )


# -- the new-customer ARPA ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewArpaFit:
    """MRR of new customers in their first month: ``mean`` (``se`` = sd / sqrt(n), its standard error),
    ``sd`` the spread between accounts, ``n`` the new customers seen."""

    mean: float
    se: float
    sd: float
    n: int


def _new_arpa(M: np.ndarray) -> NewArpaFit | None:
    firsts = M[:, 1:][(M[:, 1:] > 0) & (M[:, :-1] == 0) & ~np.maximum.accumulate(M > 0, 1)[:, :-1]]
    if len(firsts) == 0:
        return None
    sd = float(firsts.std(ddof=1)) if len(firsts) > 1 else 0.0
    return NewArpaFit(float(firsts.mean()), sd / math.sqrt(len(firsts)), sd, len(firsts))


# -- all fits in one object ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Fits:
    """Every fitted piece of a calibration, passed around as one object.

    ``churn_model`` is the form the scenario uses, ``"monthly"``, ``"onboarding"`` or ``"sbg"``;
    ``churn_form`` its fit (:class:`ChurnForm`, with the covariance the scenario's joint carries),
    ``churn_scores`` every form's held-out log-likelihood and ``churn_chosen_by`` how it was chosen.
    ``sbg``, ``churn_cohorts``, ``lr_test`` (sBG against constant churn on the observed-start cohorts:
    statistic, p) and ``holdout`` (mean absolute errors of predicted active customers) are reported
    beside it.
    """

    churn: GeometricFit
    churn_cohorts: GeometricFit | None
    sbg: SBGFit | None
    churn_model: str
    churn_form: ChurnForm
    churn_scores: dict
    churn_chosen_by: str
    lr_test: tuple
    expansion: MovementFit | None
    contraction: MovementFit | None
    acquisition: AcquisitionFit | None
    holdout: HoldoutCheck | None
    new_arpa: NewArpaFit | None
    start: StartingState
    notes: tuple = ()
    #: pseudo-BMA weights of the churn forms from ``churn_scores`` (:func:`score_weights`)
    churn_weights: dict | None = None
    #: the leavers' MRR against the average account's (:mod:`cssim.data.leaver_size`); None without MRR
    leavers: LeaverSize | None = None


def fit_all(
    d: BillingHistory,
    history: pd.DataFrame,
    *,
    holdout_fraction: float = 2 / 3,
    horizon: int = 36,
    arpa: float | None = None,
    forms: dict | None = None,
) -> Fits:
    """Fit churn, movements, acquisition, new-customer ARPA and the starting state.

    Churn: constant, onboarding and sBG fitted to churn by tenure (:func:`_fit_churn_form`); a
    tenure-dependent form must beat constant churn by likelihood ratio (p < ``LR_LEVEL``), then the forms
    are compared on held-out months from rolling forecast origins (:func:`_choose_churn`; constant and
    onboarding averaged). Acquisition likewise (:func:`_acquisition`). The starting state is today's
    customers by observed tenure (:func:`_tenure_mix`). ``forms`` fixes either choice
    (``{"churn": ..., "acquisition": ...}``).
    """
    from .retention import likelihood_ratio

    notes: list[str] = []
    D = float(np.nansum(history["churned_customers"].to_numpy(float)[1:]))
    R = float(d.customers[:-1].sum())
    churn = fit_geometric(churned=D, at_risk=R)
    cohort_arrays = [a for _, _, a in d.cohorts if len(a) >= 2 and a[0] > 0]
    sbg = churn_c = None
    lr = (math.nan, math.nan)
    if cohort_arrays:
        churn_c = fit_geometric(cohort_arrays)
        try:
            sbg = fit_sbg(cohort_arrays)
            lr = likelihood_ratio(sbg, churn_c)
        except ValueError as e:
            notes.append(f"sBG not fitted: {e}")
    holdout = _holdout(d, holdout_fraction)
    forms = forms or {}
    form, scores, chosen_by = _choose_churn(
        churn_cells(d), len(d.months) - 1, holdout_fraction, forms.get("churn")
    )
    churn_model = form.form
    expansion = contraction = new_arpa = leavers = None
    if d.M is not None:
        expansion = _movement(history, "expansion")
        contraction = _movement(history, "contraction")
        new_arpa = _new_arpa(d.M)
        leavers = leaver_size(d.M)
    acquisition = _acquisition(d.new, d.customers, only=forms.get("acquisition"))
    customers = round(d.customers[-1])
    if d.M is not None:
        mrr = float(d.M[:, -1].sum())
        a = mrr / customers if customers > 0 else float(np.mean(d.M[d.M > 0]))
        tenures = _tenures(d.M)
    else:
        a = float(arpa) if arpa else 1.0
        mrr = a * customers
        if not arpa:
            notes.append("a cohort table has no MRR: ARPA is set to 1 per customer; edit it")
        tenures = None
    if tenures is None:  # a cohort table: the cohorts still observed in the last month
        last = len(d.months) - 1
        pairs = [(len(arr) - 1, arr[-1]) for _, st, arr in d.cohorts if st + len(arr) - 1 == last]
        tenures = np.repeat([p[0] for p in pairs], [round(p[1]) for p in pairs]).astype(int)
    tenure = _tenure_mix(
        tenures,
        form,
        len(d.months) if d.M is not None else None,
        d.M[d.M[:, -1] > 0, -1] if d.M is not None else None,
    )
    start = StartingState(customers, mrr, a, tenure, tenures)
    return Fits(
        churn=churn,
        churn_cohorts=churn_c,
        sbg=sbg,
        churn_model=churn_model,
        churn_form=form,
        churn_scores=scores,
        churn_chosen_by=chosen_by,
        lr_test=lr,
        expansion=expansion,
        contraction=contraction,
        acquisition=acquisition,
        holdout=holdout,
        new_arpa=new_arpa,
        start=start,
        notes=tuple(notes),
        churn_weights=score_weights(
            scores, len(forecast_origins(len(d.months) - 1, holdout_fraction))
        ),
        leavers=leavers,
    )
