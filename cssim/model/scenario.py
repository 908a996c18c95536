"""Scenarios: frozen, validated descriptions of a subscription business (see MODEL.md).

A scenario is written in YAML and loaded with :func:`load_scenario`, or built from a dict with
:meth:`Scenario.from_dict`. Every numeric parameter may be a number or a distribution (see
:mod:`cssim.distributions`); bad input raises :class:`cssim.ScenarioError` naming the file, the field path,
the line, the value and what is allowed.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from .distributions import MIN_MASS_INSIDE, Distribution, Interval90, _Dist
from .errors import Problem, ScenarioError, hint_for
from .limits import capacity_problems
from .yamlio import MAX_FILE_BYTES, LineMap, _too_large, dump_yaml, parse_yaml

__all__ = [
    "Acquisition",
    "CSCosts",
    "Churn",
    "Joint",
    "Movement",
    "Onboarding",
    "Scenario",
    "Segment",
    "load_scenario",
]

_TAGS = {"number", "distribution", "interval"}


def _pick(value: Any) -> str:
    if isinstance(value, dict | _Dist):
        return "distribution"
    if isinstance(value, list | tuple):
        return "interval"
    return "number"


def _to_interval(v: list[float]) -> Interval90:
    return Interval90(kind="interval90", low=v[0], high=v[1])


def _allowed(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    return f"{left}{lo:g}, {hi:g}{right}"


def Param(
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    integer: bool = False,
):
    """A numeric field that may also be a distribution, with its allowed range.

    Numbers are checked against the range; a distribution must put at least 90% of its probability inside
    it and is truncated to it when drawn.
    """
    lo = ge if ge is not None else gt if gt is not None else -math.inf
    hi = le if le is not None else lt if lt is not None else math.inf
    rng = _allowed(lo, hi, gt is not None, lt is not None)
    # ints have no inf or nan (and pydantic's finiteness check overflows on huge ints)
    limits = (
        Field(ge=ge, gt=gt, le=le, lt=lt, strict=True)
        if integer
        else Field(ge=ge, gt=gt, le=le, lt=lt, strict=True, allow_inf_nan=False)
    )
    number = Annotated[int if integer else float, limits]
    interval = Annotated[
        list[Annotated[float, Field(strict=True, allow_inf_nan=False)]],
        Field(min_length=2, max_length=2),
        AfterValidator(_to_interval),
    ]

    def bound(value):
        if not isinstance(value, _Dist):
            return value
        try:
            mass = value.mass_inside(lo, hi)
        except (OverflowError, ValueError, ZeroDivisionError, FloatingPointError):
            mass = math.nan
        if mass != mass:  # NaN: parameters so extreme that the probabilities cannot be computed
            raise ValueError(
                f"{value.describe()} has parameters too extreme to compute its probabilities; "
                f"give values that describe a range inside {rng}"
            )
        if mass < MIN_MASS_INSIDE:
            raise ValueError(
                f"{value.describe()} puts only {mass:.0%} of its probability inside the allowed range "
                f"{rng}; at least {MIN_MASS_INSIDE:.0%} is needed (narrow it, or use beta, lognormal "
                "or interval90)"
            )
        return value.with_bounds(lo, hi)

    return Annotated[
        Annotated[number, Tag("number")]
        | Annotated[Distribution, Tag("distribution")]
        | Annotated[interval, Tag("interval")],
        Discriminator(_pick),
        AfterValidator(bound),
    ]


Rate = Param(ge=0, le=1)
NonNegative = Param(ge=0)
Positive = Param(gt=0)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Acquisition(_Model):
    """New customers: an annual ``rate`` relative to the base, or a monthly ``count`` that may grow.

    ``rate`` g gives ``m = (1 + g)^(1/12) - 1`` new customers per customer at the start of the month;
    ``count`` n gives ``n (1 + growth)^(t - 1)`` expected new customers in month t. Draws are Poisson.
    """

    rate: Param(ge=-0.99, le=100) | None = None
    count: Param(ge=0, le=10_000_000) | None = None
    growth: Param(ge=-0.5, le=1) = 0.0

    @model_validator(mode="after")
    def _one(self):
        if (self.rate is None) == (self.count is None):
            raise ValueError(
                "give exactly one of rate (annual, relative to the base) or count "
                "(new customers per month)"
            )
        if self.rate is not None and self.growth != 0.0:
            raise ValueError("growth applies to count; a rate already grows with the base")
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


class Churn(_Model):
    """Logo churn: exactly one of ``monthly``, ``heterogeneity`` (sBG) or ``annual_renewal``.

    ``onboarding`` overrides the first months of tenure for monthly and sBG churn. With annual contracts,
    customers churn only at tenure 12, 24, ... with probability ``annual_renewal``.
    """

    monthly: Rate | None = None
    heterogeneity: Heterogeneity | None = None
    annual_renewal: Rate | None = None
    onboarding: Onboarding | None = None

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
    """Customer-retention cost (CRC): CS people plus tools, per month.

    People: ``customers / accounts_per_csm`` CSMs (or ``customers x csm_per_account``), each costing
    ``csm_cost`` a month; tools: ``tools`` a month plus ``tools_per_account`` per customer.
    """

    accounts_per_csm: Positive | None = None
    csm_per_account: NonNegative | None = None
    csm_cost: NonNegative = 0.0
    tools: NonNegative = 0.0
    tools_per_account: NonNegative = 0.0

    @model_validator(mode="after")
    def _people(self):
        if self.accounts_per_csm is not None and self.csm_per_account is not None:
            raise ValueError("give accounts_per_csm or csm_per_account, not both")
        return self


class Seats(_Model):
    """Seat-based pricing: ARPA = seats per account x price per seat (expansion = seat growth)."""

    per_account: Positive
    price: Positive


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


#: Scales a joint normal may use: the parameter is ``g^{-1}(g(value) + z)``, z the correlated normal.
JointScale = Literal["linear", "log", "log1p", "logit"]
JOINT_SCALES = get_args(JointScale)
#: Joint draws are kept within this many standard deviations of the centre on their scale.
JOINT_SD_LIMIT = 4.0


def _transforms(kind: str):
    """``(g, g^{-1})`` of a joint scale, on float arrays."""
    import numpy as np

    return {
        "linear": (lambda x: x, lambda y: y),
        "log": (np.log, np.exp),
        "log1p": (np.log1p, np.expm1),
        "logit": (lambda x: np.log(x) - np.log1p(-x), lambda y: 1.0 / (1.0 + np.exp(-y))),
    }[kind]


def _scale(kind: str, x):
    import numpy as np

    return _transforms(kind)[0](np.asarray(x, dtype=float))


def _unscale(kind: str, y):
    import numpy as np

    return _transforms(kind)[1](np.asarray(y, dtype=float))


class JointMarginal(_Dist):
    """One parameter of a :class:`Joint` on its own: ``x = g^{-1}(g(centre) + sd z)``, ``z`` a standard normal
    kept within ``JOINT_SD_LIMIT`` (the marginal the engine draws; the correlation is the joint's).

    :meth:`Scenario.uncertain` lists jointly drawn parameters with these, so that tables, the tornado and
    the report treat them as the uncertain parameters they are. Not a YAML ``kind``: it is made from a
    segment's ``joint``.
    """

    kind: Literal["joint"] = "joint"
    centre: float
    scale: JointScale
    sd: float

    def ppf(self, u):
        import numpy as np

        from ._lazy import scipy_special as special

        z = np.clip(special.ndtri(np.asarray(u, dtype=float)), -JOINT_SD_LIMIT, JOINT_SD_LIMIT)
        return _unscale(self.scale, float(_scale(self.scale, self.centre)) + self.sd * z)[()]

    def median(self) -> float:
        return float(self.centre)

    def describe(self) -> str:
        return f"joint({self.scale}, centre={self.centre:g}, sd={self.sd:g})"


class Joint(_Model):
    """Parameters drawn together from a multivariate normal on a transformed scale (a fit's uncertainty).

    ``parameters`` name fields of the segment (``churn.heterogeneity.alpha``), each given there as a number:
    the centre. Each path draws ``y = g(centre) + L z`` with ``z_i = Phi^{-1}(u_i)`` from the parameter's
    own uniform stream and ``L`` the lower Cholesky factor of ``covariance`` (so the first parameter's draw
    depends on its own uniform only); ``y_i`` is kept within ``JOINT_SD_LIMIT`` standard deviations of
    ``g(centre_i)``, and the parameter is ``g^{-1}(y_i)``. ``scales`` give ``g`` per parameter: ``log``
    (positive), ``log1p`` (above -1), ``logit`` (between 0 and 1) or ``linear``.
    """

    parameters: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=20
    )
    scales: list[JointScale]
    covariance: list[list[Annotated[float, Field(allow_inf_nan=False)]]]

    @model_validator(mode="after")
    def _shape(self):
        import numpy as np

        q = len(self.parameters)
        dupes = sorted({p for p in self.parameters if self.parameters.count(p) > 1})
        if dupes:
            raise ValueError(f"parameters must be unique; repeated: {', '.join(dupes)}")
        if len(self.scales) != q:
            raise ValueError(
                f"scales must give one scale per parameter ({q}), got {len(self.scales)}"
            )
        if len(self.covariance) != q or any(len(r) != q for r in self.covariance):
            raise ValueError(f"covariance must be {q} rows of {q} numbers (one per parameter)")
        S = np.asarray(self.covariance, dtype=float)
        if not np.allclose(S, S.T, rtol=1e-9, atol=1e-300):
            raise ValueError("covariance must be symmetric")
        if np.any(np.diag(S) < 0) or np.linalg.eigvalsh(S).min() < -1e-9 * max(
            np.abs(S).max(), 1e-300
        ):
            raise ValueError("covariance must be positive semi-definite (a variance matrix)")
        return self

    def factor(self):
        """The lower Cholesky factor ``L`` of the covariance (a tiny ridge when it is singular)."""
        import numpy as np

        S = np.asarray(self.covariance, dtype=float)
        try:
            return np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            ridge = 1e-12 * max(float(np.trace(S)) / len(S), 1e-300)
            return np.linalg.cholesky(S + ridge * np.eye(len(S)))

    def marginal(self, name: str, centre: float) -> JointMarginal:
        """Parameter ``name`` (centred on ``centre``) on its own: its scale and its sd on that scale."""
        i = self.parameters.index(name)
        sd = math.sqrt(float(self.covariance[i][i]))
        return JointMarginal(centre=centre, scale=self.scales[i], sd=sd)

    def without(self, fixed: set[str]) -> dict | None:
        """This joint as data with the parameters ``fixed`` left out (the others' marginal normal is the
        covariance without their rows and columns), or None when none are left."""
        keep = [i for i, p in enumerate(self.parameters) if p not in fixed]
        if not keep:
            return None
        return {
            "parameters": [self.parameters[i] for i in keep],
            "scales": [self.scales[i] for i in keep],
            "covariance": [[self.covariance[i][j] for j in keep] for i in keep],
        }

    def draw(self, centres: list[float], z):
        """Parameters from standard normals ``z`` (shape (q, paths)): one array per parameter."""
        import numpy as np

        sd = np.sqrt(np.diag(np.asarray(self.covariance, dtype=float)))
        out = []
        y = self.factor() @ np.asarray(z, dtype=float)
        for i, (kind, c) in enumerate(zip(self.scales, centres, strict=True)):
            g = float(_scale(kind, c))
            yi = np.clip(g + y[i], g - JOINT_SD_LIMIT * sd[i], g + JOINT_SD_LIMIT * sd[i])
            out.append(_unscale(kind, yi))
        return out


class Segment(_Model):
    """One customer segment (SMB, enterprise, ...): see MODEL.md for what every number means."""

    name: str = Field(min_length=1, max_length=60)
    customers: Param(ge=0, le=100_000_000, integer=True)
    arpa: Positive | None = None
    seats: Seats | None = None
    new_arpa: Positive | None = None
    starting_tenure: Annotated[int, Field(ge=0, le=600, strict=True)] | TenureSpread = 0
    acquisition: Acquisition
    churn: Churn
    expansion: Movement | None = None
    contraction: Movement | None = None
    gross_margin: Rate = 0.8
    cac: NonNegative = 0.0
    cs: CSCosts | None = None
    joint: Joint | None = None

    @model_validator(mode="after")
    def _joint(self):
        if self.joint is None:
            return self
        import numpy as np

        given = {p[1:]: v for p, v in _walk(self, "") if p[1:] != "joint"}
        sd = np.sqrt(np.diag(np.asarray(self.joint.covariance, dtype=float)))
        data = None
        for name, kind, s in zip(self.joint.parameters, self.joint.scales, sd, strict=True):
            if name not in given:
                raise ValueError(
                    f"joint parameter {name!r} is not a numeric field of this segment; fields: "
                    + ", ".join(sorted(given))
                )
            centre = given[name]
            if isinstance(centre, _Dist):
                raise ValueError(
                    f"{name} is in joint, so give it as a number (the centre the joint draws around), "
                    f"not {centre.describe()}"
                )
            ok = {
                "log": centre > 0,
                "log1p": centre > -1,
                "logit": 0 < centre < 1,
                "linear": True,
            }[kind]
            if not ok:  # one whole message per scale, so that each has its translation
                raise ValueError(
                    {
                        "log": f"{name} = {centre:g} must be above 0 for the log scale",
                        "log1p": f"{name} = {centre:g} must be above -1 for the log1p scale",
                        "logit": f"{name} = {centre:g} must be strictly between 0 and 1 for the "
                        "logit scale",
                    }[kind]
                )
            g = float(_scale(kind, centre))
            if data is None:
                data = self.model_dump(mode="json", exclude={"joint"}, exclude_none=True)
            for y in (g - JOINT_SD_LIMIT * s, g + JOINT_SD_LIMIT * s):
                x = float(_unscale(kind, y))
                node = data
                *head, last = name.split(".")
                for h in head:
                    node = node[h]
                was, node[last] = node[last], x
                try:
                    type(self).model_validate(data)
                except ValidationError as e:
                    msg = _say(e.errors(include_url=False)[0], False)
                    raise ValueError(
                        f"joint draws of {name} reach {x:.6g} ({JOINT_SD_LIMIT:g} standard deviations "
                        f"from {centre:g} on the {kind} scale), which the field does not allow: {msg}; "
                        "give a smaller variance or another scale"
                    ) from None
                finally:
                    node[last] = was
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


#: The levers a report compares at equal effort, by name (``cssim.analysis.levers.EQUAL_EFFORT``:
#: churn -1 point a month, expansion +1 point a month, price +5%, new customers +10%).
EqualEffortLever = Literal["churn_pt", "expansion_pt", "price_rel", "acquisition_rel"]
LeverCost = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]


class Scenario(_Model):
    """A scenario: what the business looks like now and how it behaves, with its uncertainty.

    Build one with :func:`load_scenario` (YAML) or :meth:`Scenario.from_dict`.
    """

    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=5000)
    horizon_months: int = Field(36, ge=1, le=240, strict=True)
    currency: str = Field("JPY", pattern=r"^[A-Z]{3}$")
    target_arr: float | None = Field(None, gt=0, strict=True)
    #: Annual rate for the model-consistent LTV (cssim.model.ltv); None means its 10% default.
    discount_rate: float | None = Field(None, ge=0, le=1)
    #: Months of a new customer's life the model-consistent LTV counts; None counts the whole life (a
    #: sum that has no limit where expected expansion outgrows churn and the discount).
    ltv_horizon_months: int | None = Field(None, ge=1, le=1200, strict=True)
    #: The language of what people read about this scenario (reports, pages); ``--lang`` wins.
    language: Literal["en", "ja"] | None = None
    segments: list[Segment] = Field(min_length=1, max_length=20)
    #: What each equal-effort lever would cost a month (in ``currency``), to rank them at equal cost
    #: as well; optional, any of :data:`EqualEffortLever`.
    lever_costs: dict[EqualEffortLever, LeverCost] | None = Field(None, min_length=1)

    @field_validator("segments")
    @classmethod
    def _unique(cls, segments):
        names = [s.name for s in segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"segment names must be unique; repeated: {', '.join(dupes)}")
        return segments

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>", lines: LineMap | None = None) -> Scenario:
        """Validate plain data; raise :class:`ScenarioError` listing every problem."""
        if not isinstance(data, dict):
            raise ScenarioError(
                source,
                [
                    Problem(
                        "",
                        "a scenario is a YAML mapping with name, horizon_months and segments",
                        value=data if data is not None else ...,
                    )
                ],
            )
        try:
            scenario = cls.model_validate(data)
        except ValidationError as e:
            raise ScenarioError(source, _problems(e, data, lines or {})) from None
        found = capacity_problems(scenario)
        if found:
            problems = [
                Problem(p.path, p.message, p.value, _line(_line_path(path, data), lines or {}))
                for path, p in found
            ]
            raise ScenarioError(source, problems)
        return scenario

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` turns back into an equal scenario."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())

    def replace(self, changes: dict[Any, Any]) -> Scenario:
        """A validated copy with fields changed, keyed by field path (see :mod:`cssim.model.edits`).

        ``{"segments[0].churn.monthly": 0.02, "horizon_months": 60}``; a segment may be named by index or
        by name, any name: ``{'segments["Tier 1.5"].churn.monthly': 0.02}`` or
        ``{"segments.SMB.churn.monthly": 0.02}``.
        """
        from .edits import replace  # local: edits builds scenarios with this module

        return replace(self, changes)

    # -- introspection ----------------------------------------------------------------------------
    def segment(self, name: str) -> Segment:
        for s in self.segments:
            if s.name == name:
                return s
        raise KeyError(f"no segment {name!r}; segments: {', '.join(self.segment_names)}")

    @property
    def segment_names(self) -> list[str]:
        return [s.name for s in self.segments]

    def parameters(self) -> Iterator[tuple[str, Any]]:
        """Every numeric parameter as ``(path, value)``, paths like ``SMB.churn.monthly``."""
        for seg in self.segments:
            yield from _walk(seg, seg.name)

    def uncertain(self) -> dict[str, _Dist]:
        """The uncertain parameters by path: those given as distributions, and those a segment's ``joint``
        draws together, each with its marginal (:class:`JointMarginal`)."""
        out: dict[str, _Dist] = {}
        for seg in self.segments:  # by segment: a name may hold dots
            joint = set(seg.joint.parameters) if seg.joint is not None else set()
            for path, value in _walk(seg, seg.name):
                name = path[len(seg.name) + 1 :]
                if name in joint:
                    out[path] = seg.joint.marginal(name, float(value))
                elif isinstance(value, _Dist):
                    out[path] = value
        return out


def _walk(model: BaseModel, prefix: str) -> Iterator[tuple[str, Any]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}.{name}"
        if isinstance(value, _Dist) or (
            isinstance(value, int | float) and not isinstance(value, bool)
        ):
            yield path, value
        elif isinstance(value, BaseModel) and not isinstance(value, _Dist):
            yield from _walk(value, path)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Raises
    ------
    ScenarioError
        The file is missing or unreadable, is not valid YAML, or describes an invalid scenario. The
        message names the file, each field path with its line, the value and what is allowed.
    """
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as f:  # at most one byte past the limit: a huge file is refused unread
            raw = f.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            size = path.stat().st_size if path.is_file() else len(raw)
            raise ScenarioError(source, [_too_large(max(size, len(raw)))])
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, [Problem("", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError(
            source, [Problem("", "this is a folder, not a scenario file")]
        ) from None
    except UnicodeDecodeError as e:
        raise ScenarioError(
            source, [Problem("", f"the file is not UTF-8 text ({e.reason})")]
        ) from None
    except OSError as e:
        raise ScenarioError(source, [Problem("", f"cannot read the file: {e.strerror}")]) from None
    data, lines, problems = parse_yaml(text)
    if problems:
        raise ScenarioError(source, problems)
    return Scenario.from_dict(data, source=source, lines=lines)


# -- turning pydantic's errors into problems a person can act on ----------------------------------------

_KINDS = ("normal", "lognormal", "beta", "triangular", "pert", "uniform", "interval90")
_PARAM_FORMS = "a [low, high] 90% interval or a distribution with a kind"
#: pydantic error types that only say "wrong type" (a union branch that did not apply).
_TYPE_ONLY = {
    "int_type",
    "int_from_float",
    "int_parsing",
    "float_type",
    "float_parsing",
    "string_type",
    "bool_type",
    "model_type",
    "dict_type",
    "list_type",
}


def _problems(error: ValidationError, data: Any, lines: LineMap) -> list[Problem]:
    """One :class:`Problem` per distinct complaint, in words, with the field path, line and value."""
    found: dict[tuple, list[tuple[str, dict, Any]]] = {}
    for err in error.errors(include_url=False):
        if err["type"] == "invalid_key":  # loc spells the key as text; input is the key itself
            real, skipped = _resolve(err["loc"][:-1], data)
            real = (*real, err.get("input"))
        else:
            real, skipped = _resolve(err["loc"], data, missing=err["type"] == "missing")
        value = _at(data, real, default=err.get("input", ...))
        branch = next(
            (p for p in skipped if isinstance(p, str) and p not in _TAGS and not _is_kind(p)), ""
        )
        found.setdefault(real, []).append((branch, err, value))
    out: list[Problem] = []
    seen = set()
    for real, errs in found.items():
        for path, msg, value in _explain(real, _pick_branch(errs), data):
            shown = _show_path(path, data)
            if (shown, msg) in seen:
                continue
            seen.add((shown, msg))
            out.append(Problem(shown, msg, value, _line(_line_path(path, data), lines)))
    return out


def _pick_branch(errs: list[tuple[str, dict, Any]]) -> list[tuple[str, dict, Any]]:
    """Of the complaints from a union (``int | TenureSpread``), keep those of the branch that was meant."""
    branches = {b for b, _, _ in errs if b}
    if len(branches) < 2:
        return errs
    value = errs[0][2]
    model = [e for e in errs if _branch_model(e[0]) is not None]
    scalar = [e for e in errs if e[0] and _branch_model(e[0]) is None]
    if isinstance(value, dict) and model:
        return model
    if scalar and all(e[1]["type"] in _TYPE_ONLY for e in scalar) and model:
        fields = list(_branch_model(model[0][0]).model_fields)
        err = {
            **scalar[0][1],
            "type": "cssim_either",
            "msg": f"must be {_scalar_word(scalar[0][1]['type'])} or a mapping with "
            f"{', '.join(fields)}",
        }
        return [("", err, value)]
    return scalar or errs


def _explain(real: tuple, errs: list[tuple[str, dict, Any]], data: Any):
    """Yield ``(data path, message, value)`` for each complaint at one data path."""
    for _, err, value in errs:
        kind = err["type"]
        loc = err["loc"]
        path = real
        param = "number" in loc
        msg = _say(err, param)
        if kind == "missing":
            value = ...
        elif kind == "extra_forbidden":
            value = ...
        elif kind == "invalid_key":
            value = real[-1]
            allowed = _allowed_fields(loc)
            msg += f"; allowed here: {', '.join(allowed)}" if allowed else ""
        elif kind in ("model_type", "dict_type"):
            fields = _allowed_fields((*loc, "?"))
            if fields and fields != ["kind", "..."]:
                msg = f"must be a mapping with fields {', '.join(fields)}"
        elif kind == "literal_error" and loc and loc[-1] == "[key]":
            value = err["input"]  # the key that is not allowed, not the value under it
        elif kind == "union_tag_invalid" and isinstance(value, dict) and "kind" in value:
            path, value = (*real, "kind"), value["kind"]
        elif kind == "value_error" and _is_container(value):
            value = ...  # a check across fields: the message names the values
        hint = hint_for(value if value is not ... else None)
        if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
            hint = " (put it in quotes to make it text)"
        elif (
            kind in ("int_type", "int_from_float")
            and isinstance(value, float)
            and value.is_integer()
        ):
            hint = f" (write {int(value)})"
        yield path, msg + hint, value


def _say(err: dict, param: bool) -> str:
    """pydantic's complaint, in the words of the scenario format."""
    kind, ctx = err["type"], err.get("ctx") or {}
    loc = err["loc"]
    also = f", {_PARAM_FORMS}" if param else ""
    if kind == "cssim_either":
        return err["msg"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc)
        return "unknown field" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    if kind == "greater_than_equal":
        return f"must be at least {_num(ctx.get('ge'))}"
    if kind == "greater_than":
        return f"must be greater than {_num(ctx.get('gt'))}"
    if kind == "less_than_equal":
        return f"must be at most {_num(ctx.get('le'))}"
    if kind == "less_than":
        return f"must be less than {_num(ctx.get('lt'))}"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"must be a whole number{also}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number{also}"
    if kind == "finite_number":
        return "must be a finite number (not .inf or .nan)"
    if kind == "string_type":
        return "must be text"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must be at least {n} characters long"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == r"^[A-Z]{3}$":
            return "must be a three-letter currency code in capitals, such as JPY or USD"
        return f"must match the pattern {ctx.get('pattern')}"
    if kind in ("too_short", "too_long"):
        if "interval" in loc:
            return "a [low, high] 90% interval needs exactly two numbers"
        if kind == "too_short":
            n = ctx.get("min_length")
            return f"needs at least {n} item{'s' if n != 1 else ''}"
        return f"allows at most {ctx.get('max_length')} items"
    if kind == "list_type":
        if loc and loc[-1] == "segments":
            return "must be a list of segments (each item starts with '- name: ...')"
        return "must be a list"
    if kind in ("model_type", "dict_type"):
        return "must be a mapping of fields"
    if kind == "union_tag_not_found":
        return f"a distribution needs a kind: one of {', '.join(_KINDS)}" + (
            f" (or write {_PARAM_FORMS.split(' or ')[0]})" if param or "distribution" in loc else ""
        )
    if kind == "literal_error" and loc and loc[-1] == "[key]" and loc[0] == "lever_costs":
        return f"unknown field; allowed here: {', '.join(get_args(EqualEffortLever))}"
    if kind == "literal_error" and loc and loc[-1] == "language":
        return "must be one of en, ja (the language of reports and pages)"
    if kind in ("union_tag_invalid", "literal_error"):
        return f"kind must be one of {', '.join(_KINDS)}"
    if kind == "invalid_key":
        return "a key must be text (a field name)"
    if kind == "bool_type":
        return "must be true or false"
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return msg[:1].lower() + msg[1:] if msg.startswith("Input should") else msg


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _scalar_word(kind: str) -> str:
    return {
        "float_type": "a number",
        "float_parsing": "a number",
        "string_type": "text",
        "bool_type": "true or false",
    }.get(kind, "a whole number")


def _is_container(value: Any) -> bool:
    """A mapping of fields or a list of them (segments): too big to show, the message names the values."""
    if isinstance(value, list):
        return any(isinstance(v, dict | list) for v in value)
    return isinstance(value, dict) and "kind" not in value


def _resolve(loc: tuple, data: Any, missing: bool = False) -> tuple[tuple, list]:
    """Split pydantic's loc into the path through the data and the parts that are not in it.

    The parts not in the data are union tags (``number``, ``distribution``, ``interval``), distribution
    kinds and union branch names such as ``constrained-int``; a missing field is the last part.
    """
    node: Any = data
    real: list = []
    skipped: list = []
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and _has_key(node, part):
            real.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            real.append(part)
            node = node[part]
        elif missing and last and isinstance(part, str):
            real.append(part)
            node = None
        else:
            skipped.append(part)
    return tuple(real), skipped


def _has_key(node: dict, key: Any) -> bool:
    try:
        return key in node
    except TypeError:
        return False


def _at(data: Any, path: tuple, default: Any = ...) -> Any:
    node = data
    for part in path:
        if isinstance(node, dict) and _has_key(node, part):
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return default
    return node


def _show_path(path: tuple, data: Any) -> str:
    """``segments[0].churn.monthly``: list items by index, mapping keys after dots."""
    shown = ""
    node = data
    for part in path:
        if isinstance(node, list) and isinstance(part, int):
            shown += f"[{part}]"
        else:
            shown += f".{part}" if shown else str(part)
        node = _at(node, (part,), default=None)
    return shown


def _line_path(path: tuple, data: Any) -> tuple:
    """The path as the line map spells it: mapping keys as written (a key ``1`` is ``"1"``)."""
    out = []
    node = data
    for part in path:
        is_key = isinstance(node, dict)
        out.append(part if not is_key or isinstance(part, str) else str(part))
        node = _at(node, (part,), default=None)
    return tuple(out)


def _line(path: tuple, lines: LineMap) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def _is_kind(part: Any) -> bool:
    return part in _KINDS


def _branch_model(branch: str) -> type[BaseModel] | None:
    """The model a union branch name stands for: ``function-after[_order(), TenureSpread]``."""
    name = branch.rstrip("]").split(",")[-1].split("[")[-1].strip()
    return _all_models().get(name)


def _all_models() -> dict[str, type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    todo: list[type[BaseModel]] = [Scenario]
    while todo:
        m = todo.pop()
        if m.__name__ in seen:
            continue
        seen[m.__name__] = m
        for f in m.model_fields.values():
            todo += _models_in(f.annotation)
    return seen


def _allowed_fields(loc: tuple) -> list[str]:
    """Names allowed at the parent of ``loc`` (the unknown key), following the model's annotations."""
    models: list[type[BaseModel]] = [Scenario]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if _is_kind(part):
            nxt = [
                c
                for m in models
                for c in ([m] if "kind" in m.model_fields else [])
                if getattr(c.model_fields["kind"], "annotation", None) == Literal[part]
            ]
            nxt = nxt or [c for m in models for c in _kind_models(m, part)]
        elif isinstance(part, str) and any(part in m.model_fields for m in models):
            nxt = [
                c
                for m in models
                if part in m.model_fields
                for c in _models_in(m.model_fields[part].annotation)
            ]
        else:
            branch = _branch_model(part) if isinstance(part, str) else None
            nxt = [branch] if branch is not None else models  # a union tag: same place
        models = nxt
        if not models:
            return []
    if len(models) != 1:
        return ["kind", "..."] if all("kind" in m.model_fields for m in models) else []
    return list(models[0].model_fields)


def _kind_models(model: type[BaseModel], kind: str) -> list[type[BaseModel]]:
    ann = getattr(model.model_fields.get("kind"), "annotation", None)
    return [model] if ann == Literal[kind] else []


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for arg in typing.get_args(annotation):
        out += _models_in(arg)
    return out
