"""A segment of customers (SMB, mid-market, enterprise ...) and the parts that describe it:
acquisition, churn, expansion and contraction, price, CS costs and the tenure of today's customers.

What every number means is in docs/MODEL.md. Every numeric field is a :func:`~cssim.model.fields.Param`:
a number or a distribution, with its allowed range.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .fields import Name, NonNegative, Param, Positive, Rate, _Model
from .health import Health, Hire, Response
from .joint import Joint, check_joint
from .limits import MAX_AMOUNT

#: An amount of money in the scenario's currency (a price, a cost): at most :data:`MAX_AMOUNT`.
Money = Param(ge=0, le=MAX_AMOUNT)
#: A price, above 0 and at most :data:`MAX_AMOUNT`.
Price = Param(gt=0, le=MAX_AMOUNT)

__all__ = [
    "Acquisition",
    "CSCosts",
    "Churn",
    "Heterogeneity",
    "Movement",
    "Onboarding",
    "Seats",
    "Segment",
    "TenureSpread",
]


class Acquisition(_Model):
    """New customers: an annual ``rate`` relative to the base, or a monthly ``count`` that may grow.

    ``rate`` g gives ``m = (1 + g)^(1/12) - 1`` new customers per customer at the start of the month;
    ``count`` n gives ``n (1 + growth)^(t - 1)`` expected new customers in month t; with an
    ``endurance`` p below 1 the growth keeps the share p of itself each year,
    ``n prod_{k=1}^{t-1} (1 + growth p^((k-1)/12))`` (:mod:`cssim.model.count_trend`). Draws are Poisson.
    """

    rate: Param(ge=-0.99, le=100) | None = None
    count: Param(ge=0, le=10_000_000) | None = None
    growth: Param(ge=-0.5, le=1) = 0.0
    endurance: Param(ge=0, le=1) = 1.0

    @model_validator(mode="after")
    def _one(self):
        if (self.rate is None) == (self.count is None):
            raise ValueError(
                "give exactly one of rate (annual, relative to the base) or count "
                "(new customers per month)"
            )
        if self.rate is not None and self.growth != 0.0:
            raise ValueError("growth applies to count; a rate already grows with the base")
        if self.rate is not None and self.endurance != 1.0:
            raise ValueError("endurance applies to a count's growth; a rate has no growth to fade")
        return self


class Onboarding(_Model):
    """A different monthly churn probability during the first ``months`` of tenure."""

    months: int = Field(ge=1, le=60, strict=True)
    monthly: Rate


class Heterogeneity(_Model):
    """Shifted-beta-geometric churn (Fader & Hardie 2007): churn at tenure tau is
    ``alpha / (alpha + beta + tau - 1)``."""

    alpha: Positive
    beta: Positive


#: The largest ``churn.leaver_mrr``: leavers paying five times their cohort's average.
LEAVER_MAX = 5.0


class Churn(_Model):
    r"""Logo churn: exactly one of ``monthly``, ``heterogeneity`` (sBG) or ``annual_renewal``.

    ``onboarding`` overrides the first months of tenure for monthly and sBG churn. With annual contracts,
    customers churn only at tenure 12, 24, ... with probability ``annual_renewal``.

    ``leaver_mrr`` (:math:`\rho`, default 1) is the size of the customers who leave against their
    cohort's average MRR. A month with churn probability :math:`h` takes, on average,

    .. math:: 1 - (1 - h)^{\rho}

    of a cohort's MRR (:mod:`cssim.model.leaver_mrr`): about :math:`\rho h` for a small :math:`h`,
    all of it with the last customer, and over months a cohort keeps, on average, its customers'
    survival to the power :math:`\rho` of its MRR. 1 is churn blind to size; 0.7 has small accounts
    leave more often (leavers pay about 70% of the average), so MRR is lost more slowly than customers.
    """

    monthly: Rate | None = None
    heterogeneity: Heterogeneity | None = None
    annual_renewal: Rate | None = None
    onboarding: Onboarding | None = None
    leaver_mrr: Param(gt=0, le=LEAVER_MAX) = 1.0

    @model_validator(mode="after")
    def _one(self):
        given = [
            k
            for k in ("monthly", "heterogeneity", "annual_renewal")
            if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of monthly, heterogeneity (alpha, beta) or "
                f"annual_renewal; got {', '.join(given) or 'none'}"
            )
        if self.annual_renewal is not None and self.onboarding is not None:
            raise ValueError(
                "onboarding churn applies to monthly contracts; annual contracts churn "
                "only at renewal"
            )
        return self

    @property
    def tenure_dependent(self) -> bool:
        return self.monthly is None or self.onboarding is not None


#: Smallest share of accounts that may move in a month: each moves by ``rate / probability`` of its MRR, so a
#: tiny probability would make the step (and the money) unbounded.
MIN_MOVE_PROBABILITY = 0.001


class Movement(_Model):
    """Expansion or contraction: expected monthly ``rate`` as a fraction of the MRR of customers who stayed.

    Each staying account moves with ``probability`` in a month, by ``rate / probability`` of its MRR, so
    the expectation is ``rate``.
    """

    rate: Param(ge=0, le=1)
    probability: Param(ge=MIN_MOVE_PROBABILITY, le=1) = 0.1


class CSCosts(_Model):
    """Customer success: its cost (CRC: CS people plus tools, per month) and, with usage states, its
    coverage and the transitions it moves.

    People: ``customers / accounts_per_csm`` CSMs (the team grows with the base), ``customers x
    csm_per_account``, or a fixed headcount ``csms`` with ``hires`` (more CSMs from a month on); each
    costs ``csm_cost`` a month; tools: ``tools`` a month plus ``tools_per_account`` per customer.
    Coverage in month t is ``h_t = CSMs_t x hours_per_csm / customers at the start of month t`` hours per
    account; each ``response`` moves one transition of the segment's ``health`` with it
    (:mod:`cssim.model.health`).
    """

    accounts_per_csm: Positive | None = None
    csm_per_account: NonNegative | None = None
    csms: Param(ge=0, le=100_000) | None = None
    hires: list[Hire] | None = Field(None, min_length=1, max_length=60)
    #: Customer-facing hours a CSM has a month; None is :data:`cssim.model.health.HOURS_PER_CSM`.
    hours_per_csm: Param(gt=0, le=744) | None = None
    csm_cost: Money = 0.0
    tools: Money = 0.0
    tools_per_account: Money = 0.0
    response: list[Response] | None = Field(None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _people(self):
        given = [
            k
            for k in ("accounts_per_csm", "csm_per_account", "csms")
            if getattr(self, k) is not None
        ]
        if len(given) > 1:
            if set(given) == {"accounts_per_csm", "csm_per_account"}:
                raise ValueError("give accounts_per_csm or csm_per_account, not both")
            raise ValueError(
                "give one of accounts_per_csm, csm_per_account or csms (a fixed headcount), not "
                f"{' and '.join(given)}"
            )
        if self.hires is not None and self.csms is None:
            raise ValueError("hires add to a fixed headcount: give csms with them")
        return self

    @property
    def fixed_headcount(self) -> bool:
        return self.csms is not None


class Seats(_Model):
    """Seat-based pricing: ARPA = seats per account x price per seat (expansion = seat growth)."""

    per_account: Positive
    price: Price


class TenureSpread(_Model):
    """Starting customers spread over tenures ``min`` .. ``max`` months: evenly, or in proportion to
    ``weights`` (one per tenure, ``min`` first), e.g. the observed tenure mix of today's customers.

    ``arpa_ratios`` (one per tenure): each tenure's ARPA relative to the others (long-standing accounts
    have often expanded); they are scaled by the weighted mean so the segment's ``arpa`` stays the ARPA
    of all starting customers: tenure j starts at ``arpa x r_j / sum_i w_i r_i`` (w the shares)."""

    min: int = Field(ge=0, le=600, strict=True)
    max: int = Field(ge=0, le=600, strict=True)
    weights: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = None
    arpa_ratios: list[Annotated[float, Field(gt=0, allow_inf_nan=False)]] | None = None

    @model_validator(mode="after")
    def _order(self):
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must be at least min ({self.min})")
        n = self.max - self.min + 1
        for key in ("weights", "arpa_ratios"):
            given = getattr(self, key)
            if given is not None and len(given) != n:
                raise ValueError(
                    f"{key} must give one number per tenure {self.min} to {self.max} ({n} numbers), "
                    f"got {len(given)}"
                )
        if self.weights is not None and not sum(self.weights) > 0:
            raise ValueError("weights must not all be 0")
        return self


class Segment(_Model):
    """One customer segment (SMB, enterprise, ...): see MODEL.md for what every number means."""

    name: Annotated[Name, Field(min_length=1, max_length=60)]
    #: A stable key for the segment's random numbers; by default its position in the scenario
    #: (:meth:`cssim.model.scenario.Scenario.stream_keys`).
    id: str | None = Field(None, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    customers: Param(ge=0, le=100_000_000, integer=True)
    arpa: Price | None = None
    seats: Seats | None = None
    new_arpa: Price | None = None
    starting_tenure: Annotated[int, Field(ge=0, le=600, strict=True)] | TenureSpread = 0
    acquisition: Acquisition
    churn: Churn
    expansion: Movement | None = None
    contraction: Movement | None = None
    gross_margin: Rate = 0.8
    cac: Money = 0.0
    cs: CSCosts | None = None
    health: Health | None = None
    joint: Joint | None = None

    @model_validator(mode="after")
    def _health(self):
        responses = (self.cs.response or []) if self.cs is not None else []
        if self.health is None:
            if responses:
                raise ValueError(
                    "a CS response moves customers between usage states: give the segment health "
                    "(states and transitions)"
                )
            return self
        names = self.health.names
        for r in responses:
            unknown = [n for n in (r.from_, r.to) if n not in names]
            if unknown:
                raise ValueError(
                    f"the CS response from {r.from_} to {r.to} names unknown states: "
                    f"{', '.join(dict.fromkeys(unknown))}; states: {', '.join(names)}"
                )
        pairs = [(r.from_, r.to) for r in responses]
        dupes = sorted({f"{a} to {b}" for a, b in pairs if pairs.count((a, b)) > 1})
        if dupes:
            raise ValueError(f"the CS response from {dupes[0]} is given more than once")
        self.health.check_rows(responses)
        return self

    @model_validator(mode="after")
    def _joint(self):
        if self.joint is not None:
            check_joint(self)
        return self

    @model_validator(mode="after")
    def _price(self):
        if (self.arpa is None) == (self.seats is None):
            raise ValueError(
                "give exactly one of arpa (MRR per account) or seats (per_account and price)"
            )
        c = self.contraction
        if c is not None and isinstance(c.rate, float) and isinstance(c.probability, float):
            if c.rate > c.probability:
                raise ValueError(
                    f"contraction rate {c.rate:g} exceeds its probability {c.probability:g}: a "
                    "contracting account would lose more than all of its MRR"
                )
        return self

    @property
    def tenure_range(self) -> tuple[int, int]:
        t = self.starting_tenure
        return (t, t) if isinstance(t, int) else (t.min, t.max)

    def starting_shares(self):
        """Each starting tenure's share of the starting customers (``min`` first)."""
        import numpy as np

        lo, hi = self.tenure_range
        w = getattr(self.starting_tenure, "weights", None)
        w = np.ones(hi - lo + 1) if w is None else np.asarray(w, dtype=float)
        return w / w.sum()

    def starting_arpa_factors(self):
        """ARPA of each starting tenure over the segment's ARPA: ``r_j / sum_i w_i r_i`` (ones when
        ``arpa_ratios`` is not given)."""
        import numpy as np

        lo, hi = self.tenure_range
        r = getattr(self.starting_tenure, "arpa_ratios", None)
        if r is None:
            return np.ones(hi - lo + 1)
        r = np.asarray(r, dtype=float)
        return r / float(self.starting_shares() @ r)

    def starting_split(self, start, expected: bool = False):
        """Starting customers per starting tenure, shape ``(tenures, paths)``, for ``start`` per path.

        Evenly: ``start // n`` each and the remainder one apiece to the shortest tenures; with weights
        ``w``: ``rint(start x W_j) - rint(start x W_{j-1})`` with ``W`` the cumulative shares, so the counts
        sum to ``start`` exactly. ``expected``: real-valued shares ``start x w_j`` (or ``start / n``).
        """
        import numpy as np

        lo, hi = self.tenure_range
        n = hi - lo + 1
        weights = getattr(self.starting_tenure, "weights", None)
        start = np.asarray(start)
        if weights is None:
            if expected:
                return np.broadcast_to(start / n, (n, start.size)).copy()
            base, extra = np.divmod(start, n)
            return base[None, :] + (np.arange(n)[:, None] < extra[None, :])
        w = self.starting_shares()
        if expected:
            return w[:, None] * start[None, :]
        cum = np.rint(np.cumsum(w)[:, None] * start[None, :]).astype(start.dtype)
        cum[-1] = start
        return np.diff(cum, axis=0, prepend=np.zeros((1, start.size), dtype=start.dtype))
