r"""An out-of-family company generator for the calibration studies (issue 20), SYNTHETIC.

Written from a different picture of a business than cssim's model (MODEL.md), account by account:

- **accounts have sizes**: seats ~ lognormal (median 3-12 seats, log-sd 1.0), MRR = seats x a price per
  seat; a new account's size is drawn the same way;
- **churn depends on size and drifts with tenure**: the monthly hazard of account ``i`` at tenure
  :math:`\tau` is

  .. math:: h_i(\tau) = \min\Big(0.9,\; c \,(s_i / \tilde s)^{-b}\, z_i\,
            \big(1 + d \min(\tau, 48) / 48\big)\Big),

  with :math:`c` a base rate, :math:`b \in [0.2, 0.6]` (small accounts churn more), :math:`z_i \sim
  \mathrm{Gamma}(1/v, v)` a frailty of mean 1 (heterogeneity), and :math:`d \in [-0.6, 1.5]` a drift that
  makes churn rise with tenure (fatigue) or fall faster than frailty alone. A share :math:`a` of the
  accounts is on annual contracts and may leave only at renewal (tenure a multiple of 12), with the
  year's hazard :math:`1 - (1 - h)^{12}`: spikes at months 12, 24, 36 that none of constant,
  onboarding or sBG churn describes;
- **lumpy expansion and contraction**: each month an account adds 20-100% of its seats (at least one)
  with probability :math:`p_e`, or drops 10-50% (at least one, never to zero) with :math:`p_c`;
- **acquisition with a trend change and seasonality**: new accounts ~ Poisson(:math:`\lambda_t`),

  .. math:: \lambda_t = \lambda_0 (1 + g_1)^{\min(t, t_b)} (1 + g_2)^{\max(t - t_b, 0)}
            \big(1 + A \sin(2 \pi (t - \varphi) / 12)\big),

  the break :math:`t_b` anywhere in months 18-54 (before or after the data end at 36).

The opening accounts carry tenures of 0-48 months. :class:`Company` keeps the state, so the true
model's own forecast (the oracle) is the same generator run on from the state at the cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SIZES = (60, 100, 150, 400, 1000, 2500, 5000)


def draw_params(rng: np.random.Generator, size: int) -> dict:
    """One company's true parameters."""
    return {
        "customers": int(size),
        "seat_median": float(rng.choice([3.0, 6.0, 12.0])),
        "price": float(rng.choice([3_000, 12_000, 40_000])),
        "churn": float(rng.uniform(0.01, 0.04)),
        "size_slope": float(rng.uniform(0.2, 0.6)),
        "frailty_var": float(rng.uniform(0.3, 1.5)),
        "drift": float(rng.uniform(-0.6, 1.5)),
        "annual": float(rng.uniform(0.0, 0.7)),
        "p_expand": float(rng.uniform(0.005, 0.03)),
        "p_contract": float(rng.uniform(0.002, 0.01)),
        "new": size * float(rng.uniform(0.02, 0.06)),
        "g1": float(rng.uniform(-0.01, 0.03)),
        "g2": float(rng.uniform(-0.02, 0.02)),
        "break": int(rng.integers(18, 55)),
        "season": float(rng.uniform(0.0, 0.4)),
        "phase": float(rng.uniform(0, 12)),
    }


@dataclass
class Company:
    """Account-level state: seats, tenure, frailty, annual contract, alive; ``t`` the current month."""

    p: dict
    seats: np.ndarray
    tenure: np.ndarray
    frailty: np.ndarray
    annual: np.ndarray
    alive: np.ndarray
    t: int = 0
    history: list = field(default_factory=list)

    @classmethod
    def start(cls, p: dict, rng: np.random.Generator) -> Company:
        n = p["customers"]
        c = cls(p, *cls._accounts(p, n, rng), alive=np.ones(n, bool))
        c.tenure = rng.integers(0, 49, n)
        c._record()
        return c

    @staticmethod
    def _accounts(p: dict, n: int, rng: np.random.Generator):
        seats = np.maximum(1, np.round(p["seat_median"] * rng.lognormal(0.0, 1.0, n)))
        v = p["frailty_var"]
        return (
            seats,
            np.zeros(n, int),
            rng.gamma(1 / v, v, n),
            rng.random(n) < p["annual"],
        )

    def copy(self) -> Company:
        return Company(
            self.p,
            self.seats.copy(),
            self.tenure.copy(),
            self.frailty,
            self.annual,
            self.alive.copy(),
            self.t,
            [],
        )

    def hazard(self) -> np.ndarray:
        p = self.p
        tau = self.tenure
        h = (
            p["churn"]
            * (self.seats / p["seat_median"]) ** (-p["size_slope"])
            * self.frailty
            * np.maximum(0.05, 1 + p["drift"] * np.minimum(tau, 48) / 48)
        )
        h = np.minimum(h, 0.9)
        yearly = 1 - (1 - h) ** 12
        return np.where(self.annual, np.where(tau % 12 == 0, yearly, 0.0), h)

    def step(self, rng: np.random.Generator) -> None:
        """One month: churn, expansion/contraction, ageing, then new accounts."""
        p = self.p
        self.t += 1
        idx = np.flatnonzero(self.alive)
        self.tenure[idx] += 1
        sub = self._view(idx)
        go = rng.random(len(idx)) < sub.hazard()
        self.alive[idx[go]] = False
        stay = idx[~go]
        u = rng.random(len(stay))
        up, down = u < p["p_expand"], (u >= p["p_expand"]) & (u < p["p_expand"] + p["p_contract"])
        s = self.seats[stay]
        s[up] += np.maximum(1, np.round(s[up] * rng.uniform(0.2, 1.0, up.sum())))
        s[down] = np.maximum(
            1, s[down] - np.maximum(1, np.round(s[down] * rng.uniform(0.1, 0.5, down.sum())))
        )
        self.seats[stay] = s
        t, tb = self.t, p["break"]
        lam = (
            p["new"]
            * (1 + p["g1"]) ** min(t, tb)
            * (1 + p["g2"]) ** max(t - tb, 0)
            * (1 + p["season"] * np.sin(2 * np.pi * (t - p["phase"]) / 12))
        )
        k = rng.poisson(max(lam, 0.0))
        seats, tenure, frailty, annual = self._accounts(p, k, rng)
        self.seats = np.concatenate([self.seats, seats])
        self.tenure = np.concatenate([self.tenure, tenure])
        self.frailty = np.concatenate([self.frailty, frailty])
        self.annual = np.concatenate([self.annual, annual])
        self.alive = np.concatenate([self.alive, np.ones(k, bool)])

    def _view(self, idx) -> Company:
        return Company(
            self.p,
            self.seats[idx],
            self.tenure[idx],
            self.frailty[idx],
            self.annual[idx],
            self.alive[idx],
        )

    def mrr(self) -> np.ndarray:
        return np.where(self.alive, self.seats * self.p["price"], 0.0)

    def _record(self) -> None:
        self.history.append((self.t, np.flatnonzero(self.alive), self.mrr()[self.alive]))

    def run(self, months: int, rng: np.random.Generator, record: bool = True) -> Company:
        for _ in range(months):
            self.step(rng)
            if record:
                self._record()
        return self

    def totals(self) -> tuple[int, float]:
        return int(self.alive.sum()), float(self.mrr().sum())

    def frame(self, start: str = "2021-01") -> pd.DataFrame:
        """The recorded months as a billing export (customer, month, mrr)."""
        months = pd.period_range(start, periods=self.history[-1][0] + 1, freq="M")
        ids = np.concatenate([h[1] for h in self.history])
        ts = np.concatenate([np.full(len(h[1]), h[0]) for h in self.history])
        values = np.concatenate([h[2] for h in self.history])
        return pd.DataFrame(
            {
                "customer": [f"A{i + 1:06d}" for i in ids],
                "month": [str(months[t]) for t in ts],
                "mrr": np.round(values, 2),
            }
        )


def company(size: int, seed: int, months: int = 72) -> tuple[dict, Company, Company]:
    """A company's parameters, its state at month 36 (a copy, for the oracle) and its full history."""
    rng = np.random.default_rng(seed)
    p = draw_params(rng, size)
    c = Company.start(p, rng).run(36, rng)
    at_cut = c.copy()
    c.run(months - 36, rng)
    return p, at_cut, c


def oracle_futures(at_cut: Company, horizons, replicates: int, seed: int) -> dict:
    """The true model's forecast: ``replicates`` futures of the generator from the state at the cut.

    Returns ``{("customers" | "mrr", h): array of replicates}``.
    """
    rng = np.random.default_rng(seed)
    out = {(m, h): np.empty(replicates) for m in ("customers", "mrr") for h in horizons}
    top = max(horizons)
    for r in range(replicates):
        c = at_cut.copy()
        for t in range(1, top + 1):
            c.step(rng)
            if t in horizons:
                n, mrr = c.totals()
                out[("customers", t)][r] = n
                out[("mrr", t)][r] = mrr
    return out
