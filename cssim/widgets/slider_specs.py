"""What each slider of a segment is, and what its value means for the scenario: the sliders as data
(:class:`Spec`: field path, range, step, kind of value) built from a segment, and the values read back
as :meth:`cssim.Scenario.replace` edits, an uncertain parameter moved whole (:func:`relocate`).

Positive uncertain quantities (lognormal, beta, and any distribution whose lower end is above zero) are
*scaled* by ``new median / old median``, which keeps the relative spread and the shape; others (a normal
growth rate that may be negative, say) are *shifted* by the difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..model.distributions import _Dist
from ..model.scenario import Segment
from ..words.i18n import N_

__all__ = [
    "FIXED",
    "Spec",
    "healthiest",
    "new_shares",
    "read",
    "relocate",
    "segment_changes",
    "segment_specs",
]


def relocate(
    dist: _Dist, median: float, ceiling: float | None = None, signed: bool = False
) -> dict[str, Any]:
    r"""The distribution moved so that its median is (about) ``median``, as plain scenario data.

    Positive quantities (lognormal, beta, and any distribution whose lower end is above zero) are scaled
    by ``f = median / old median``, which keeps the relative spread and the shape; others (a normal
    growth rate that may be negative, say) are shifted by ``median - old median``. A beta on
    ``[low, high]`` scales its distance from ``low``; if the scaled sd is too wide for a beta, it is
    narrowed to 95% of the largest allowed, ``sqrt(m (1 - m)) (high - low)`` with ``m`` the scaled mean
    on ``[0, 1]``.

    ``signed``: the quantity may be negative whatever the distribution's lower end (a growth), so it is
    always shifted. ``ceiling``: a share that cannot pass it (a growth endurance, at most 1) moved *up*
    maps every point by :math:`x' = c - (c - x) f` with :math:`f = (c - \text{median}) / (c -
    \text{old})`, which keeps the shape and the probability beyond ``c`` (a normal's sd scales by
    :math:`f`); so PERT(0.5, 0.8, 1) moved to 0.9 stays within [0, 1]. Moved down it scales as above.
    A lognormal has no such map and scales as above.
    """
    old = dist.median()
    data = dist.model_dump(mode="json", exclude_none=True)
    kind = data["kind"]
    top = ceiling is not None and old < median and old < ceiling and kind != "lognormal"
    if kind == "beta":
        low, high = data["low"], data["high"]
        if "alpha" in data:
            a, b = data.pop("alpha"), data.pop("beta")
            width = high - low
            data["mean"] = low + width * a / (a + b)
            data["sd"] = width * math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        if top and high == ceiling:
            f = (high - median) / (high - old)
            data["mean"] = high - (high - data["mean"]) * f
        else:
            f = (median - low) / (old - low) if old != low else 1.0
            data["mean"] = low + (data["mean"] - low) * f
        data["sd"] *= f
        m = (data["mean"] - low) / (high - low)
        if 0 < m < 1:
            limit = math.sqrt(m * (1 - m)) * (high - low)
            data["sd"] = min(data["sd"], 0.95 * limit)
        return data
    fields = {
        "normal": ("mean",),
        "lognormal": ("mean", "sd"),
        "uniform": ("low", "high"),
        "triangular": ("low", "mode", "high"),
        "pert": ("low", "mode", "high"),
        "interval90": ("low", "high"),
    }[kind]
    if top:
        f = (ceiling - median) / (ceiling - old)
        for k in fields:
            data[k] = ceiling - (ceiling - data[k]) * f
        if kind == "normal":
            data["sd"] *= f
        return data
    positive = not signed and (
        kind == "lognormal" or (kind != "normal" and data["low"] > 0 and old > 0)
    )
    for k in fields:
        data[k] = data[k] * (median / old) if positive else data[k] + (median - old)
    return data


@dataclass
class Spec:
    """One slider: where it writes, its range and the kind of value it holds.

    ``kind`` and ``digits`` are those of :func:`cssim.words.formatting.format_value` (``percent``,
    ``money``, ``number``, ``months``): the text boxes' messages write values with them, and the slider's
    readout with :attr:`fmt`.
    """

    name: str
    label: str  # a message
    path: str | None  # dotted path within the segment; None: written by a group rule
    value: float
    lo: float
    hi: float
    step: float
    kind: str
    digits: int = 0
    dist: _Dist | None = None
    ceiling: float | None = None  # a share's upper end (relocate)
    signed: bool = False  # may be negative whatever its distribution says (relocate)
    # drawn with others (the segment's ``joint``): its marginal; the slider sets the centre
    joint: _Dist | None = None

    @property
    def uncertain(self) -> _Dist | None:
        """The distribution the slider sets the median of: its own, or its marginal in a ``joint``."""
        return self.dist if self.dist is not None else self.joint

    @property
    def integer(self) -> bool:
        """Whether the slider takes whole numbers (months)."""
        return self.kind == "months"

    @property
    def fmt(self) -> str:
        """The slider's readout format (d3-format, which Python's format reads the same)."""
        if self.integer:
            return "d"
        return f".{self.digits}%" if self.kind == "percent" else f",.{self.digits}f"


def _nice_step(span: float, n: int = 200) -> float:
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def _num(value: Any) -> tuple[float, _Dist | None]:
    return (value.median(), value) if isinstance(value, _Dist) else (float(value), None)


#: fields the explorer cannot move that have no name in :data:`cssim.words.labels.PARAMETERS`
FIXED = {"churn.heterogeneity": N_("churn by tenure (shifted-beta-geometric alpha, beta)")}


def segment_specs(seg: Segment) -> tuple[list[Spec], list[str]]:
    """The sliders for a segment, and the field paths of what stays fixed."""
    specs, fixed = [], []
    acq = seg.acquisition
    if acq.rate is not None:
        v, d = _num(acq.rate)
        specs.append(
            Spec(
                "growth",
                N_("New customers a year"),
                "acquisition.rate",
                v,
                min(-0.5, v),
                max(1.0, 2 * v),
                0.01,
                "percent",
                dist=d,
            )
        )
    else:
        v, d = _num(acq.count)
        hi = max(10.0, 3 * v)
        specs.append(
            Spec(
                "growth",
                N_("New customers a month"),
                "acquisition.count",
                v,
                0.0,
                hi,
                _nice_step(hi),
                "number",
                1,
                d,
            )
        )
        # the count's own growth, and the share of it kept each year (count_trend): whether growth
        # of new customers lasts is what a forecast of several years turns on
        v, d = _num(acq.growth)
        specs.append(
            Spec(
                "count_growth",
                N_("New-customer growth a month"),
                "acquisition.growth",
                v,
                min(-0.05, v),
                max(0.05, 2 * v),
                0.001,
                "percent",
                1,
                d,
                signed=True,
            )
        )
        v, d = _num(acq.endurance)
        # an uncertain share has no median at 0 or 1 (it would collapse there): its slider stops short
        ends = (0.0, 1.0) if d is None else (0.01, 0.99)
        specs.append(
            Spec(
                "endurance",
                N_("Growth kept each year"),
                "acquisition.endurance",
                v,
                *ends,
                0.001,
                "percent",
                1,
                d,
                ceiling=1.0,
            )
        )
    ch = seg.churn
    if ch.monthly is not None:
        v, d = _num(ch.monthly)
        specs.append(
            Spec(
                "churn",
                N_("Monthly churn"),
                "churn.monthly",
                v,
                0.0,
                max(0.1, 2 * v),
                0.001,
                "percent",
                1,
                d,
            )
        )
    elif ch.annual_renewal is not None:
        v, d = _num(ch.annual_renewal)
        specs.append(
            Spec(
                "churn",
                N_("Churn at annual renewal"),
                "churn.annual_renewal",
                v,
                0.0,
                max(0.5, 2 * v),
                0.01,
                "percent",
                dist=d,
            )
        )
    else:
        fixed.append("churn.heterogeneity")
    if ch.leaver_mrr != 1.0:  # churn that knows an account's size: said, not moved here
        fixed.append("churn.leaver_mrr")
    if ch.annual_renewal is None:
        ob = ch.onboarding
        if ob:
            v, d = _num(ob.monthly)
        else:  # no onboarding block: onboarding churn is the monthly churn
            v, d = (_num(ch.monthly)[0] if ch.monthly is not None else 0.0), None
        months = ob.months if ob else 3
        specs.append(
            Spec(
                "onboarding",
                N_("Onboarding churn"),
                "churn.onboarding.monthly" if ob else None,
                v,
                0.0,
                max(0.3, 2 * v),
                0.001,
                "percent",
                1,
                d,
            )
        )
        specs.append(
            Spec(
                "onboarding_months",
                N_("Onboarding months"),
                "churn.onboarding.months" if ob else None,
                months,
                1,
                max(12, months),
                1,
                "months",
            )
        )
    for name, label, mv in (
        ("expansion", N_("Expansion a month"), seg.expansion),
        ("contraction", N_("Contraction a month"), seg.contraction),
    ):
        v, d = _num(mv.rate) if mv else (0.0, None)
        hi = max(0.05 if name == "expansion" else 0.03, 2 * v)
        if name == "contraction":
            prob = mv.probability if mv else 0.1
            hi = min(hi, prob) if isinstance(prob, float) else hi
        path = f"{name}.rate" if mv else None
        specs.append(Spec(name, label, path, v, 0.0, hi, 0.0005, "percent", 2, d))
    if seg.arpa is not None:
        (arpa, d), path, label = _num(seg.arpa), "arpa", N_("ARPA (MRR/account)")
    else:
        (arpa, d), path, label = _num(seg.seats.price), "seats.price", N_("Price per seat")
        fixed.append("seats.per_account")
    specs.append(
        Spec("arpa", label, path, arpa, arpa / 5, 3 * arpa, _nice_step(3 * arpa), "money", dist=d)
    )
    cs = seg.cs
    if cs is not None and cs.csms is not None:  # a fixed headcount: the number of CSMs
        v, d = _num(cs.csms)
        hi = max(20.0, 3 * v)
        specs.append(Spec("csms", N_("CSMs"), "cs.csms", v, 0.0, hi, 0.5, "number", 1, d))
    elif cs is None or cs.csm_per_account is None:
        given = cs is not None and cs.accounts_per_csm is not None
        v, d = _num(cs.accounts_per_csm) if given else (100.0, None)
        path = "cs.accounts_per_csm" if given else None
        label = N_("Accounts per CSM")
        specs.append(
            Spec("accounts_per_csm", label, path, v, 5.0, max(500.0, 2 * v), 5.0, "number", dist=d)
        )
    else:
        fixed.append("cs.csm_per_account")
    v, d = _num(cs.csm_cost) if cs else (0.0, None)
    hi = max(2 * v, 40 * arpa)
    path = "cs.csm_cost" if cs else None
    specs.append(
        Spec(
            "csm_cost",
            N_("Cost per CSM a month"),
            path,
            v,
            0.0,
            hi,
            _nice_step(hi),
            "money",
            dist=d,
        )
    )
    if seg.health is not None:  # onboarding quality: the share of new customers starting healthy
        best = healthiest(seg)
        v, _d = _num(seg.health.states[best].new)
        specs.append(
            Spec(
                "new_healthy",
                N_("New customers starting healthy"),
                None,
                v,
                0.0,
                1.0,
                0.01,
                "percent",
            )
        )
    if seg.joint is not None:  # drawn jointly (a calibration's fit): uncertain, though a number
        for spec in specs:
            if spec.path in seg.joint.parameters:
                spec.joint = seg.joint.marginal(spec.path, spec.value)
    for spec in specs:  # put the file's value on the slider's grid, so the browser keeps it
        if not spec.integer:
            spec.lo = spec.value - math.floor((spec.value - spec.lo) / spec.step + 1e-9) * spec.step
            spec.hi = spec.value + math.floor((spec.hi - spec.value) / spec.step + 1e-9) * spec.step
    return specs, fixed


def healthiest(seg: Segment) -> int:
    """The index of a segment's healthiest usage state (the lowest churn multiplier, at its median)."""
    risk = [_num(s.churn_multiplier)[0] for s in seg.health.states]
    return risk.index(min(risk))


def new_shares(seg: Segment, healthy: float) -> list[float]:
    """The ``new`` shares with the healthiest state's set to ``healthy`` and the others scaled to the
    rest in proportion (evenly where they were all 0)."""
    states = seg.health.states
    best = healthiest(seg)
    old = [_num(s.new)[0] for s in states]
    rest = sum(v for i, v in enumerate(old) if i != best)
    others = len(states) - 1
    return [
        healthy if i == best else (1 - healthy) * (v / rest if rest > 0 else 1 / others)
        for i, v in enumerate(old)
    ]


def read(spec: Spec, raw: float) -> float:
    """A slider's value without the browser's floating-point noise (0.19999999999999996 is 0.2).

    Within a millionth of a step of the file's value it *is* the file's value; otherwise it is rounded
    to one decimal finer than the step.
    """
    if spec.integer:
        return int(raw)
    if abs(raw - spec.value) <= 1e-6 * spec.step:
        return spec.value
    return round(raw, max(0, math.ceil(-math.log10(spec.step))) + 1)


def segment_changes(
    i: int, seg: Segment, specs: dict[str, Spec], values: dict[str, float]
) -> dict[str, Any]:
    """Scenario.replace changes for segment ``i``: only what moved from the file's value.

    A moved slider whose field the file leaves out writes its whole block (onboarding, expansion,
    contraction, customer success) with the other sliders of that block.
    """
    prefix = f"segments.{i}."
    out: dict[str, Any] = {}
    moved = {k for k, s in specs.items() if values[k] != s.value}

    def value(k: str) -> Any:
        s = specs[k]
        v = values[k]
        if s.integer:
            return int(v)
        return relocate(s.dist, v, s.ceiling, s.signed) if s.dist is not None else float(v)

    for k in moved:
        if specs[k].path is not None:
            out[prefix + specs[k].path] = value(k)
    if moved & {"onboarding", "onboarding_months"} and specs["onboarding"].path is None:
        out[prefix + "churn.onboarding"] = {
            "months": value("onboarding_months"),
            "monthly": value("onboarding"),
        }
    for k in ("expansion", "contraction"):
        if k in moved and specs[k].path is None:
            out[prefix + k] = {"rate": value(k)}
    if "new_healthy" in moved:
        for j, share in enumerate(new_shares(seg, float(values["new_healthy"]))):
            out[f"{prefix}health.states.{j}.new"] = share
    cs_new = seg.cs is None and moved & {"accounts_per_csm", "csm_cost"}
    if cs_new:
        out[prefix + "cs"] = {
            "accounts_per_csm": value("accounts_per_csm"),
            "csm_cost": value("csm_cost"),
        }
    elif (
        "accounts_per_csm" in specs
        and "accounts_per_csm" in moved
        and specs["accounts_per_csm"].path is None
    ):  # pragma: no cover - cs without accounts_per_csm
        out[prefix + "cs.accounts_per_csm"] = value("accounts_per_csm")
    return out
