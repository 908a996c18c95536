"""Human names for parameters and metrics, in the reader's language: never a field path on a page.

>>> parameter_label("SMB.churn.monthly", lang="en")
'SMB: Churn'
>>> parameter_label("segments.SMB.churn.monthly", lang="ja")
'SMB：解約率'

A field path may be written as :meth:`cssim.Scenario.parameters` writes it (``SMB.churn.monthly``), as
:meth:`cssim.Scenario.replace` takes it (``segments.SMB.churn.monthly``, ``segments.0.churn.monthly``) or
as errors print it (``segments[0].churn.monthly``); scenario-wide fields (``horizon_months``) have no
segment. The names are messages in the ``pages`` catalog, so they come in every language the catalogs do.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from . import formatting as fmt
from .i18n import N_, Translator

if TYPE_CHECKING:
    from ..model.scenario import Scenario

__all__ = [
    "PARAMETERS",
    "Parameter",
    "format_parameter",
    "lever_change_label",
    "metric_label",
    "parameter_kind",
    "parameter_label",
    "parameter_spec",
    "split_path",
]


class Parameter(NamedTuple):
    """How a parameter is named and written: its English name (a message), the kind of its value for
    :func:`~cssim.words.formatting.format_value` (``percent``, ``money``, ``count``, ``months``,
    ``number``) and, for a rate or an amount over time, its period (``"month"``, ``"year"``)."""

    label: str
    kind: str
    per: str | None = None


#: field path inside a segment (or of the scenario) -> its name, kind of value and period: the one
#: wording of every page, table, chart and report
PARAMETERS: dict[str, Parameter] = {
    "customers": Parameter(N_("Starting customers"), "count"),
    "arpa": Parameter(N_("Revenue per customer (ARPA)"), "money", "month"),
    "seats.per_account": Parameter(N_("Seats per customer"), "number"),
    "seats.price": Parameter(N_("Price per seat"), "money", "month"),
    "new_arpa": Parameter(N_("Revenue per new customer"), "money", "month"),
    "starting_tenure": Parameter(N_("Starting tenure"), "months"),
    "starting_tenure.min": Parameter(N_("Starting tenure, from"), "months"),
    "starting_tenure.max": Parameter(N_("Starting tenure, to"), "months"),
    "acquisition.rate": Parameter(N_("New customers (share of the base)"), "percent", "year"),
    "acquisition.count": Parameter(N_("New customers"), "count", "month"),
    "acquisition.growth": Parameter(N_("Growth of new customers"), "percent", "month"),
    "acquisition.endurance": Parameter(
        N_("Share of the growth of new customers kept each year (growth endurance)"), "percent"
    ),
    "churn.monthly": Parameter(N_("Churn"), "percent", "month"),
    "churn.heterogeneity.alpha": Parameter(
        N_("Churn spread between customers (sBG alpha)"), "number"
    ),
    "churn.heterogeneity.beta": Parameter(
        N_("Churn spread between customers (sBG beta)"), "number"
    ),
    "churn.annual_renewal": Parameter(N_("Churn at each annual renewal"), "percent"),
    "churn.onboarding.months": Parameter(N_("Onboarding period"), "months"),
    "churn.onboarding.monthly": Parameter(N_("Churn during onboarding"), "percent", "month"),
    "churn.leaver_mrr": Parameter(
        N_("MRR of customers who leave, against their cohort's average"), "percent"
    ),
    "expansion.rate": Parameter(
        N_("Expansion (upsell and cross-sell, share of MRR)"), "percent", "month"
    ),
    "expansion.probability": Parameter(N_("Customers expanding"), "percent", "month"),
    "contraction.rate": Parameter(N_("Contraction (share of MRR)"), "percent", "month"),
    "contraction.probability": Parameter(N_("Customers contracting"), "percent", "month"),
    "gross_margin": Parameter(N_("Gross margin"), "percent"),
    "cac": Parameter(N_("Acquisition cost per new customer (CAC)"), "money"),
    "cs.accounts_per_csm": Parameter(N_("Customers per CSM"), "number"),
    "cs.csm_per_account": Parameter(N_("CSMs per customer"), "number"),
    "cs.csm_cost": Parameter(N_("Cost per CSM"), "money", "month"),
    "cs.tools": Parameter(N_("CS tools"), "money", "month"),
    "cs.tools_per_account": Parameter(N_("CS tools per customer"), "money", "month"),
    "cs.csms": Parameter(N_("CSMs"), "number"),
    "cs.hours_per_csm": Parameter(N_("Customer-facing hours per CSM"), "number", "month"),
    # usage states and the CS response: ``*`` stands for a state or an item, named in the label
    "health.states.*.start": Parameter(N_("{state}: share of today's customers"), "percent"),
    "health.states.*.new": Parameter(N_("{state}: share of new customers"), "percent"),
    "health.states.*.churn_multiplier": Parameter(N_("{state}: churn multiplier"), "times"),
    "health.states.*.expansion_multiplier": Parameter(N_("{state}: expansion multiplier"), "times"),
    "health.states.*.contraction_multiplier": Parameter(
        N_("{state}: contraction multiplier"), "times"
    ),
    "health.transitions.*.*": Parameter(N_("Move from {source} to {target}"), "percent", "month"),
    "cs.hires.*.month": Parameter(N_("Hire {n}: month"), "months"),
    "cs.hires.*.csms": Parameter(N_("Hire {n}: CSMs added"), "number"),
    "cs.response.*.none": Parameter(
        N_("CS response {source} → {target}, without CS"), "percent", "month"
    ),
    "cs.response.*.max": Parameter(
        N_("CS response {source} → {target}, with unlimited CS"), "percent", "month"
    ),
    "cs.response.*.half_effect_hours": Parameter(
        N_("CS response {source} → {target}, hours for half the effect"), "number"
    ),
    # scenario-wide
    "horizon_months": Parameter(N_("Horizon"), "months"),
    "target_arr": Parameter(N_("ARR target"), "money"),
    "price": Parameter(N_("Price"), "percent"),
}

#: metric name (cssim.model.metrics.METRICS) -> English label as a message
METRIC_LABELS: dict[str, str] = {
    "customers": N_("Customers"),
    "new_customers": N_("New customers"),
    "churned_customers": N_("Churned customers"),
    "mrr": N_("MRR"),
    "arr": N_("ARR"),
    "arpa": N_("ARPA"),
    "new_mrr": N_("New MRR"),
    "expansion_mrr": N_("Expansion MRR"),
    "contraction_mrr": N_("Contraction MRR"),
    "churned_mrr": N_("Churned MRR"),
    "net_new_mrr": N_("Net new MRR"),
    "logo_churn_rate": N_("Logo churn"),
    "gross_mrr_churn_rate": N_("Gross MRR churn"),
    "net_mrr_churn_rate": N_("Net MRR churn"),
    "nrr": N_("NRR (12 months)"),
    "grr": N_("GRR (12 months)"),
    "quick_ratio": N_("SaaS quick ratio"),
    "gross_profit": N_("Gross profit"),
    "cac_spend": N_("Acquisition spend"),
    "csms": N_("CSMs"),
    "crc": N_("CRC"),
    "arr_crc": N_("ARR:CRC"),
    "ltv": N_("LTV"),
    "cac_payback": N_("CAC payback"),
    "ltv_cac": N_("LTV:CAC"),
}

_INDEX = re.compile(r"\[(\d+)\]")


def split_path(field_path: str, scenario: Scenario | None = None) -> tuple[str | None, str]:
    """``(segment name or None, field inside the segment)`` for any of the path spellings.

    With a scenario, a segment given by index is named, and a segment name containing dots is found.
    """
    path = _INDEX.sub(r".\1", field_path).strip(".")
    if path.startswith("segments."):
        rest = path[len("segments.") :]
        if scenario is not None:
            for i, name in enumerate(scenario.segment_names):
                for key in (name, str(i)):
                    if rest.startswith(key + "."):
                        return name, rest[len(key) + 1 :]
        head, _, tail = rest.partition(".")
        return head, tail
    if scenario is not None:
        for name in sorted(scenario.segment_names, key=len, reverse=True):
            if path.startswith(name + "."):
                return name, path[len(name) + 1 :]
        return None, path
    if path in PARAMETERS:
        return None, path
    for field in sorted(PARAMETERS, key=len, reverse=True):
        if path.endswith("." + field):
            return path[: -len(field) - 1], field
    return None, path


def parameter_spec(
    field: str, scenario: Scenario | None = None, segment: str | None = None
) -> tuple[Parameter, dict[str, str]] | None:
    """The :class:`Parameter` a field inside a segment is (``churn.monthly``), and the names its label
    takes (a usage state, a CS response's states, a hire's number), or None when it has no name.

    ``health.states.2.new`` names the state (``dormant``) from the scenario's segment when given, else
    its position; ``health.transitions.dormant.at_risk`` its two states; ``cs.response.0.max`` the
    response's states.
    """
    if field in PARAMETERS:
        return PARAMETERS[field], {}
    parts = field.split(".")
    for key, spec in PARAMETERS.items():
        pattern = key.split(".")
        if "*" not in pattern or len(pattern) != len(parts):
            continue
        if all(p in ("*", q) for p, q in zip(pattern, parts, strict=True)):
            stars = [q for p, q in zip(pattern, parts, strict=True) if p == "*"]
            return spec, _names(key, stars, scenario, segment)
    return None


def _names(key: str, stars: list[str], scenario, segment) -> dict[str, str]:
    """The names a patterned label takes, from the ``*`` parts of its field."""
    seg = None
    if scenario is not None:
        names = scenario.segment_names
        seg = scenario.segment(segment) if segment in names else scenario.segments[0]
    if key.startswith("health.states."):
        i = stars[0]
        states = seg.health.names if seg is not None and seg.health is not None else []
        return {"state": states[int(i)] if i.isdigit() and int(i) < len(states) else i}
    if key.startswith("health.transitions."):
        return {"source": stars[0], "target": stars[1]}
    if key.startswith("cs.response."):
        k = stars[0]
        rs = (seg.cs.response or []) if seg is not None and seg.cs is not None else []
        if k.isdigit() and int(k) < len(rs):
            return {"source": rs[int(k)].from_, "target": rs[int(k)].to}
        return {"source": k, "target": "?"}
    return {"n": str(int(stars[0]) + 1) if stars[0].isdigit() else stars[0]}


def parameter_kind(field_path: str, scenario: Scenario | None = None) -> str:
    """The kind of value a parameter holds: ``percent``, ``money``, ``count``, ``months`` or ``number``."""
    segment, field = split_path(field_path, scenario)
    found = parameter_spec(field, scenario, segment)
    return found[0].kind if found else "number"


def parameter_label(
    field_path: str,
    scenario: Scenario | None = None,
    lang: str | None = None,
    *,
    with_segment: bool | None = None,
) -> str:
    """A parameter's name for people: ``SMB: Churn`` / ``中小企業：解約率`` (its unit goes with the value:
    ``3.0% a month``).

    Parameters
    ----------
    field_path
        The parameter, in any spelling :func:`split_path` reads.
    scenario
        Names segments given by index; with a single-segment scenario the segment is left out
        (unless ``with_segment=True``).
    lang
        ``"en"`` (default) or ``"ja"``.
    with_segment
        Force the segment prefix on or off; ``None`` decides as above.

    A field with no known name falls back to its last parts with underscores as spaces, never raising.
    """
    _ = Translator(lang or "en")
    segment, field = split_path(field_path, scenario)
    found = parameter_spec(field, scenario, segment)
    if found:
        name = _(found[0].label, **found[1])
    else:
        name = field.replace("_", " ").replace(".", " ")
    if with_segment is None:
        with_segment = scenario is None or len(scenario.segments) > 1
    if segment and with_segment:
        return _("{segment}: {label}", segment=segment, label=name)
    return name


def format_parameter(
    field_path: str, value: float, scenario: Scenario | None = None, lang: str | None = None
) -> str:
    """A parameter's value as people read it (``3.0%``, ``3.52億円``, ``18か月``, ``1,200``)."""
    kind = parameter_kind(field_path, scenario)
    currency = scenario.currency if scenario is not None else "JPY"
    digits = {"number": "fit", "months": 0}.get(kind)
    return fmt.format_value(value, kind, lang, currency, digits=digits)


def metric_label(metric: str, lang: str | None = None) -> str:
    """A metric's name (``arr`` -> ``ARR``; ``logo_churn_rate`` -> ``Logo churn`` / ``解約率``)."""
    _ = Translator(lang or "en")
    if metric in METRIC_LABELS:
        return _(METRIC_LABELS[metric])
    from ..model.metrics import METRICS

    return METRICS[metric].label if metric in METRICS else metric.replace("_", " ")


#: the statistics of ARR at the horizon a run can stop on (``--precision-stat``), as people say them
PRECISION_STAT_LABELS: dict[str, str] = {
    "mean": N_("mean ARR"),
    "p10": N_("ARR's P10"),
    "p50": N_("median ARR"),
    "p90": N_("ARR's P90"),
    "p_grows": N_("P(ARR grows)"),
}


def precision_stat_label(stat: str, lang: str | None = None) -> str:
    """A precision stop's statistic (``mean`` -> ``mean ARR`` / ``ARRの平均``)."""
    _ = Translator(lang or "en")
    return _(PRECISION_STAT_LABELS[stat]) if stat in PRECISION_STAT_LABELS else stat


#: lever name (cssim.analysis.levers.LEVERS) -> its name with the change it makes, ``{change}``
LEVER_LABELS: dict[str, str] = {
    "churn_pt": N_("Churn {change} a month"),
    "churn_rel": N_("Churn {change}"),
    "expansion_pt": N_("Expansion {change} a month"),
    "expansion_rel": N_("Expansion {change}"),
    "acquisition_rel": N_("New customers {change}"),
    "price_rel": N_("Price {change}"),
    "onboarding_pt": N_("Onboarding churn {change} a month"),
    "onboarding_rel": N_("Onboarding churn {change}"),
    "new_healthy_pt": N_("New customers starting healthy {change}"),
    "csms_add": N_("CS team {change} CSM"),
}
#: levers that cut what they name (their change reads with a minus: ``Churn −1.0 pt a month``)
_CUTS = frozenset({"churn_pt", "churn_rel", "onboarding_pt", "onboarding_rel"})


def lever_unit(name: str) -> str:
    """A lever's unit from its name: ``"points"`` (``churn_pt``: 0.005 = 0.5 points), ``"count"``
    (``csms_add``: 1 = one CSM) or ``"relative"`` (``churn_rel``: 0.1 = 10%)."""
    if name.endswith("_pt"):
        return "points"
    return "count" if name.endswith("_add") else "relative"


def lever_label(name: str, size: float, unit: str | None = None, lang: str | None = None) -> str:
    """A lever in words, with its size: ``Churn −1.0 pt a month``, ``Price +5%`` /
    ``解約率 月−1.0ポイント``, ``価格 +5%``: the one wording of every page, chart, table and report.

    ``unit`` is the lever's ``"relative"`` (size as a share: 0.1 = 10%, whole percents without
    decimals) or ``"points"`` (0.005 = 0.5 points); by default :func:`lever_unit` of its name. A lever
    that cuts (churn) reads with the sign turned; a minus is a true minus (U+2212). An unknown lever reads
    ``name change``.
    """
    _ = Translator(lang or "en")
    unit = lever_unit(name) if unit is None else unit
    change = -size if name in _CUTS else size
    if unit == "points":
        shown = fmt.points(change, lang)
    elif unit == "count":
        shown = ("+" if change > 0 else "\u2212" if change < 0 else "") + fmt.format_value(
            abs(change), "number", lang, digits="fit"
        )
    else:
        digits = 0 if round(size * 100, 6).is_integer() else 1
        sign = "+" if change > 0 else "\u2212" if change < 0 else ""
        shown = sign + fmt.percent(abs(change), lang, digits)
    template = LEVER_LABELS.get(name)
    return _(template, change=shown) if template else f"{name} {shown}"


#: lever name -> its name before the change it makes, ``{change}`` (``Churn 3% → 2% a month``)
LEVER_CHANGE_LABELS: dict[str, str] = {
    "churn_pt": N_("Churn {change}"),
    "churn_rel": N_("Churn {change}"),
    "expansion_pt": N_("Expansion {change}"),
    "expansion_rel": N_("Expansion {change}"),
    "acquisition_rel": N_("New customers {change}"),
    "price_rel": N_("Price {change}"),
    "onboarding_pt": N_("Onboarding churn {change}"),
    "onboarding_rel": N_("Onboarding churn {change}"),
}
#: the fields whose before and after a lever's words show (others it moves are details)
_SHOWN_FIELDS = frozenset(
    {
        "churn.monthly",
        "churn.annual_renewal",
        "churn.onboarding.monthly",
        "expansion.rate",
        "acquisition.rate",
        "acquisition.count",
        "arpa",
        "seats.price",
    }
)


def lever_change_label(
    name: str,
    changes: list[tuple[str, str, float, float]],
    lang: str | None = None,
    currency: str = "JPY",
) -> str | None:
    """A lever as the change it makes, before → after: ``Churn 3% → 2% a month``,
    ``Price ¥50K → ¥52.5K a month`` / ``解約率 月3%→2%``, ``価格 月5万円→5.25万円``.

    ``changes`` are ``(segment, field, before, after)`` (:func:`cssim.analysis.lever_rules.lever_changes`).
    ``None`` where the change cannot be said in one before → after (several segments, or a field
    people do not set, such as an sBG ``beta``): then :func:`lever_label` says it by its size.
    """
    _ = Translator(lang or "en")
    shown = [c for c in changes if c[1] in _SHOWN_FIELDS]
    if len(shown) != 1 or name not in LEVER_CHANGE_LABELS:
        return None
    _segment, field, before, after = shown[0]
    p = PARAMETERS[field]

    def show(v: float) -> str:
        # a rate of 10% or more with one decimal (20% -> 22.2%), a lower one as precise as it needs
        digits = 1 if p.kind == "percent" and abs(v) >= 0.1 else "fit"
        return fmt.format_value(
            v, p.kind, lang, currency, digits=digits if p.kind in ("percent", "number") else None
        )

    b, a = show(before), show(after)
    change = fmt.change(b, a, lang)
    if p.per == "month":
        change = _("{value} a month", value=change)
    elif p.per == "year":
        change = _("{value} a year", value=change)
    if field == "churn.annual_renewal":
        return _("Churn at each renewal {change}", change=change)
    return _(LEVER_CHANGE_LABELS[name], change=change)
