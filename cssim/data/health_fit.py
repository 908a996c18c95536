"""A segment's usage states fitted from usage data and billing: shares, the transition matrix with its
uncertainty, and churn by state (docs/MODEL.md, "Calibrating usage states").

With ``S[c, t]`` the state of customer ``c`` in month ``t`` (:mod:`cssim.data.usage`) and ``A[c, t]``
whether the customer pays in month ``t`` (MRR above 0 in the billing data):

- ``start``: the shares of the states among customers paying in the last billing month;
- ``new``: the shares among customers in their first paying month (those who joined after the data
  begin; when fewer than :data:`MIN_NEW` did, every customer's first month with a state);
- transitions: ``N[i, j]``, customers paying in ``t`` and ``t + 1`` in state ``i`` then ``j``. Row ``i``
  is uncertain as the Dirichlet posterior ``Dir(N[i] + 1/2)`` (Jeffreys' prior); the scenario writes each
  entry as its exact marginal ``Beta(a_ij, a_i - a_ij)``, ``a_ij = N[i, j] + 1/2``, and the engine
  renormalises the row per path, which keeps each entry's mean and spread to within a few percent;
- churn by state: of the ``n_s`` customer-months in state ``s`` (paying in ``t``, ``t + 1`` observed),
  ``d_s`` stop paying in ``t + 1``. The churn multiplier is relative to the pooled rate
  ``pbar = D / N`` (all states): ``r_s = p_s / pbar``, uncertain as ``p_s ~ Beta(d_s + 1/2,
  n_s - d_s + 1/2)`` scaled by ``1 / pbar``, so the multipliers average 1 over today's mix and the
  segment's fitted churn keeps its meaning.

What the data cannot say: how CS coverage moves customers between states. Coverage is not assigned at
random (CSMs go where the trouble is), so any association in these data is confounded; the effect of CS
(``cs.response``) stays an assumption the scenario's author gives, with its uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..model.errors import Problem
from ..words.i18n import N_
from .reading import CalibrationError
from .usage import Usage

__all__ = ["MIN_NEW", "HealthFit", "fit_health"]

#: fewer new customers with a state than this: the ``new`` shares use every customer's first state
MIN_NEW = 20
#: Jeffreys' prior count added to each cell of a transition row and to churned and stayed
PRIOR = 0.5
#: digits the shares are written with
DIGITS = 6


@dataclass(frozen=True, eq=False)
class HealthFit:
    """Usage states fitted from data (see the module docstring)."""

    names: tuple[str, ...]
    start: np.ndarray
    new: np.ndarray
    new_from_joiners: bool
    transitions: np.ndarray  # counts N[i, j]
    at_risk_months: np.ndarray  # n_s
    churned: np.ndarray  # d_s
    pooled_churn: float  # pbar
    months_matched: int  # customer-months paying with a state
    months_paying: int  # customer-months paying
    usage_rows: int
    usage_unmatched: int  # usage rows of months the customer did not pay
    notes: tuple[tuple[str, dict], ...] = field(default=())  # (message, values)

    @property
    def churn_by_state(self) -> np.ndarray:
        """Observed monthly churn of each state, ``d_s / n_s`` (NaN without months)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.churned / self.at_risk_months

    def transition_mean(self) -> np.ndarray:
        """The posterior mean of each row, ``(N[i] + 1/2) / (N[i].sum() + k/2)``."""
        a = self.transitions + PRIOR
        return a / a.sum(axis=1, keepdims=True)

    def transition_interval(self, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Equal-tailed interval of each entry's Beta marginal."""
        a = self.transitions + PRIOR
        rest = a.sum(axis=1, keepdims=True) - a
        q = (1 - level) / 2
        return stats.beta.ppf(q, a, rest), stats.beta.ppf(1 - q, a, rest)

    def multiplier(self) -> np.ndarray:
        """Posterior mean of ``r_s``: ``(d_s + 1/2) / (n_s + 1) / pbar`` (1 without churn)."""
        if not self.pooled_churn > 0:
            return np.ones(len(self.names))
        return (self.churned + PRIOR) / (self.at_risk_months + 2 * PRIOR) / self.pooled_churn

    def multiplier_interval(self, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        q = (1 - level) / 2
        if not self.pooled_churn > 0:
            one = np.ones(len(self.names))
            return one, one
        a, b = self.churned + PRIOR, self.at_risk_months - self.churned + PRIOR
        return (
            stats.beta.ppf(q, a, b) / self.pooled_churn,
            stats.beta.ppf(1 - q, a, b) / self.pooled_churn,
        )

    def block(self) -> dict:
        """The segment's ``health:`` block, as YAML writes it."""
        pbar = self.pooled_churn
        states = []
        for i, name in enumerate(self.names):
            if pbar > 0 and 1 / pbar <= 1000:
                a = float(self.churned[i] + PRIOR)
                b = float(self.at_risk_months[i] - self.churned[i] + PRIOR)
                churn = {
                    "kind": "beta",
                    "alpha": _r(a),
                    "beta": _r(b),
                    "low": 0.0,
                    "high": _r(1 / pbar),
                }
            else:
                churn = float(min(self.multiplier()[i], 1000.0))
            states.append(
                {
                    "name": name,
                    "start": float(self.start[i]),
                    "new": float(self.new[i]),
                    "churn_multiplier": churn,
                }
            )
        a = self.transitions + PRIOR
        total = a.sum(axis=1)
        transitions = {
            name: {
                to: {
                    "kind": "beta",
                    "alpha": _r(float(a[i, j])),
                    "beta": _r(float(total[i] - a[i, j])),
                }
                for j, to in enumerate(self.names)
            }
            for i, name in enumerate(self.names)
        }
        return {"states": states, "transitions": transitions}


def _r(x: float) -> float:
    return float(f"{x:.8g}")


def _shares(counts: np.ndarray) -> np.ndarray:
    """Shares rounded to :data:`DIGITS` digits whose sum is 1 (the largest takes the rounding)."""
    s = np.round(counts / counts.sum(), DIGITS)
    s[np.argmax(s)] += 1.0 - s.sum()
    return s


def fit_health(billing: pd.DataFrame, usage: Usage, source: str) -> HealthFit:
    """Fit the usage states of one segment from its billing table (customer, month, mrr) and usage.

    Raises :class:`CalibrationError` (naming ``source`` and the usage file) when the two files share no
    customer-months, or no customer stays two months with a state.
    """
    k = len(usage.names)
    pay = billing.loc[billing["mrr"] > 0, ["customer", "month"]].copy()
    pay["customer"] = pay["customer"].astype(str)
    months = pd.period_range(billing["month"].min(), billing["month"].max(), freq="M")
    last = months[-1]
    u = usage.table
    merged = pay.merge(u, on=["customer", "month"], how="left")
    matched = merged["state"].notna()
    if not matched.any():
        raise CalibrationError(
            usage.source,
            [
                Problem(
                    "",
                    f"no customer and month of the usage file is a paying month in {source}: check "
                    "that both files name customers the same way and cover the same months",
                )
            ],
        )
    pay_keys = pd.MultiIndex.from_frame(pay[["customer", "month"]])
    unmatched = int((~pd.MultiIndex.from_frame(u[["customer", "month"]]).isin(pay_keys)).sum())
    m = merged[matched].copy()
    m["state"] = k - 1 - m["state"].astype(int)  # the healthiest first, as scenarios list states
    names = tuple(reversed(usage.names))
    notes = []

    # start: the last billing month
    now = m[m["month"] == last]
    if now.empty:
        raise CalibrationError(
            usage.source,
            [
                Problem(
                    "",
                    f"the usage file has no state for the last billing month ({last}): the start "
                    "shares need the states of today's customers",
                )
            ],
        )
    start = _shares(np.bincount(now["state"], minlength=k).astype(float))
    paying_now = int((pay["month"] == last).sum())
    if len(now) < paying_now:
        notes.append(
            (
                N_(
                    "{missing} of the {paying} customers paying in {month} have no usage that "
                    "month; the start shares are those of the rest"
                ),
                {"missing": paying_now - len(now), "paying": paying_now, "month": str(last)},
            )
        )

    # new: first paying month
    first = pay.groupby("customer")["month"].min()
    joiners = first[first > months[0]]
    firsts = m.merge(first.rename("first").reset_index(), on="customer")
    at_first = firsts[firsts["month"] == firsts["first"]]
    from_joiners = at_first[at_first["first"] > months[0]]
    if len(from_joiners) >= MIN_NEW:
        new = _shares(np.bincount(from_joiners["state"], minlength=k).astype(float))
        new_from_joiners = True
    else:
        new = _shares(np.bincount(at_first["state"], minlength=k).astype(float) + PRIOR)
        new_from_joiners = False
        notes.append(
            (
                N_(
                    "only {seen} of {joined} customers who joined after {month} have usage in their "
                    "first month: the new shares are every customer's first state"
                ),
                {"seen": len(from_joiners), "joined": len(joiners), "month": str(months[0])},
            )
        )

    # transitions and churn: each paying month with a state and the month after it
    step = m[m["month"] < last][["customer", "month", "state"]].copy()
    step["month"] = step["month"] + 1
    step = step.merge(pay.assign(paid=True), on=["customer", "month"], how="left")
    step = step.merge(
        m[["customer", "month", "state"]].rename(columns={"state": "next"}),
        on=["customer", "month"],
        how="left",
    )
    s_now = step["state"].to_numpy(int)
    stopped = step["paid"].isna().to_numpy()
    n = np.bincount(s_now, minlength=k).astype(float)
    d = np.bincount(s_now[stopped], minlength=k).astype(float)
    moved = ~stopped & step["next"].notna().to_numpy()
    counts = np.zeros((k, k))
    np.add.at(counts, (s_now[moved], step["next"].to_numpy()[moved].astype(int)), 1.0)
    if counts.sum() == 0:
        raise CalibrationError(
            usage.source,
            [
                Problem(
                    "",
                    "no customer has a state in two paying months in a row: the transitions cannot "
                    "be counted",
                )
            ],
        )
    for i, name in enumerate(names):
        if counts[i].sum() == 0:
            notes.append(
                (
                    N_(
                        "no customer was seen in {state} and then the month after: its row is the "
                        "prior alone (every move equally likely, and very uncertain)"
                    ),
                    {"state": name},
                )
            )
    pooled = float(d.sum() / n.sum()) if n.sum() else 0.0
    if d.sum() == 0:
        notes.append(
            (N_("no customer with a state stopped paying: the churn multipliers are all 1"), {})
        )
    return HealthFit(
        names=names,
        start=start,
        new=new,
        new_from_joiners=new_from_joiners,
        transitions=counts,
        at_risk_months=n,
        churned=d,
        pooled_churn=pooled,
        months_matched=int(matched.sum()),
        months_paying=len(pay),
        usage_rows=usage.rows,
        usage_unmatched=unmatched,
        notes=tuple(notes),
    )
