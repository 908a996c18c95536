"""The levers: what a customer-success team could change, and the one rule for changing a parameter.

A lever is a change to a scenario (cut churn, add expansion, win more new customers, raise price, fix
onboarding), sized by a fraction: ``0.1`` is 10% for a *relative* lever and 10 points for a *points*
lever. Its name for people comes from :func:`cssim.words.labels.lever_label`, in the reader's language.

Rules for changing a parameter (one rule, written once in :func:`change_value`):

* a fixed number ``x`` becomes ``f(x)`` (for example ``x - 0.005`` for "-0.5 pt", ``0.9 x`` for "-10%"),
  clipped to the field's range;
* a parameter given as a distribution is **scaled**: every draw is multiplied by ``k = f(median) / median``
  (the location and scale parameters are multiplied by ``k``, which multiplies each inverse-CDF draw by
  ``k`` exactly, so the lever's world stays matched to the base's). A relative change ("-10%") therefore
  applies exactly to every draw; a change in points moves the median by that many points.

Churn types: monthly churn ``c`` is changed directly; sBG heterogeneity is changed through ``beta`` so the
first-month churn ``alpha / (alpha + beta)`` moves as asked (``beta' = alpha (1 - p') / p'``, with alpha's
median when alpha is uncertain, and beta's distribution scaled as above); annual
renewal churn ``r`` is scaled for relative changes, and for changes in points its monthly equivalent
``1 - (1 - r)^(1/12)`` moves by the points. The churn levers leave onboarding churn alone; the onboarding
levers change only it. No lever models a response of churn to price.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

from ..model.distributions import _Dist
from ..model.scenario import Scenario, Segment
from ..words.labels import lever_label

__all__ = [
    "EQUAL_EFFORT",
    "LEVERS",
    "Lever",
    "apply_lever",
    "change_value",
    "find_lever",
    "lever_changes",
    "one_segment",
    "segment_changed",
]

# -- changing one parameter -------------------------------------------------------------------------

_SCALE_KEYS = {
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "sd"),
    "beta": ("mean", "sd", "low", "high"),
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "interval90": ("low", "high"),
}


def _scaled(dist: dict, k: float) -> dict:
    """A distribution (as data) whose every draw is ``k`` times the original's (``k > 0``)."""
    out = dict(dist)
    for key in _SCALE_KEYS[dist["kind"]]:
        if out.get(key) is not None:
            out[key] = out[key] * k
    if dist["kind"] == "beta" and "low" not in dist:  # defaults [0, 1] scale too
        out["low"], out["high"] = 0.0, k
    return out


def change_value(model_value, data_value, fn: Callable[[float], float]):
    """The new value (as scenario data) of a parameter changed by ``fn``.

    A number ``x`` becomes ``fn(x)``. A distribution is scaled by ``k = fn(median) / median`` (see the
    module docstring); a distribution with median 0 cannot be scaled and raises ``ValueError``.
    """
    if not isinstance(model_value, _Dist):
        return float(fn(float(model_value)))
    med = model_value.median()
    if med == 0:
        raise ValueError(f"cannot scale {model_value.describe()}: its median is 0")
    k = fn(med) / med
    if not k > 0:
        k = 1e-9  # a change to (or past) zero: shrink the draws to almost nothing
    return _scaled(data_value, k)


def _node(obj, path: str):
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def _change(seg: Segment, data: dict, path: str, fn: Callable[[float], float]) -> None:
    """Change ``path`` (e.g. ``churn.monthly``) of one segment's data in place."""
    parts = path.split(".")
    parent = data
    for p in parts[:-1]:
        parent = parent[p]
    parent[parts[-1]] = change_value(_node(seg, path), parent[parts[-1]], fn)


def _median(value) -> float:
    return value.median() if isinstance(value, _Dist) else float(value)


def _clip01(x: float) -> float:
    return min(max(x, 0.0), 1.0)


# -- the levers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lever:
    """A change to one segment, sized by ``size`` (a fraction: 0.1 = 10% or 10 points).

    ``apply(segment, data, size)`` edits the segment's data in place and returns False when the lever
    does not apply to that segment (for example "expansion +10%" where nothing expands). ``unit`` is
    ``"relative"`` (size as a share), ``"points"`` (size in points of a rate) or ``"count"`` (CSMs).
    """

    name: str
    unit: str
    default: float
    apply: Callable[[Segment, dict, float], bool]

    def describe(self, size: float, lang: str | None = None) -> str:
        """The lever at ``size`` for people, in ``lang`` (:func:`cssim.words.labels.lever_label`)."""
        return lever_label(self.name, size, self.unit, lang)


def _churn(points: bool):
    def apply(seg: Segment, data: dict, x: float) -> bool:
        ch = seg.churn
        if ch.monthly is not None:
            _change(
                seg,
                data,
                "churn.monthly",
                (lambda c: _clip01(c - x)) if points else (lambda c: _clip01(c * (1 - x))),
            )
        elif ch.heterogeneity is not None:
            a = _median(ch.heterogeneity.alpha)

            def beta(b: float) -> float:
                p1 = a / (a + b)
                p1 = max(p1 - x, 1e-9) if points else p1 * (1 - x)
                return a * (1 - p1) / max(p1, 1e-12)

            _change(seg, data, "churn.heterogeneity.beta", beta)
        else:

            def renewal(r: float) -> float:
                if not points:
                    return r * (1 - x)
                monthly = max(1 - (1 - r) ** (1 / 12) - x, 0.0)
                return _clip01(1 - (1 - monthly) ** 12)

            _change(seg, data, "churn.annual_renewal", renewal)
        return True

    return apply


def _onboarding(points: bool):
    def apply(seg: Segment, data: dict, x: float) -> bool:
        if seg.churn.onboarding is None:
            return False
        _change(
            seg,
            data,
            "churn.onboarding.monthly",
            (lambda c: _clip01(c - x)) if points else (lambda c: _clip01(c * (1 - x))),
        )
        return True

    return apply


def _expansion(points: bool):
    def apply(seg: Segment, data: dict, x: float) -> bool:
        if seg.expansion is None:
            if not points:
                return False
            data["expansion"] = {"rate": x, "probability": 0.1}
            return True
        if not points and _median(seg.expansion.rate) == 0:
            return False
        _change(
            seg,
            data,
            "expansion.rate",
            (lambda e: _clip01(e + x)) if points else (lambda e: _clip01(e * (1 + x))),
        )
        return True

    return apply


def _acquisition(seg: Segment, data: dict, x: float) -> bool:
    acq = seg.acquisition
    if acq.rate is not None:
        # x more new customers a month: the monthly rate m = (1 + g)^(1/12) - 1 is scaled by 1 + x
        def rate(g: float) -> float:
            m = (1 + g) ** (1 / 12) - 1
            return (1 + m * (1 + x)) ** 12 - 1

        if _median(acq.rate) == 0:
            return False
        _change(seg, data, "acquisition.rate", rate)
    else:
        if _median(acq.count) == 0:
            return False
        _change(seg, data, "acquisition.count", lambda n: n * (1 + x))
    return True


def _price(seg: Segment, data: dict, x: float) -> bool:
    up = lambda v: v * (1 + x)  # noqa: E731
    _change(seg, data, "seats.price" if seg.seats is not None else "arpa", up)
    if seg.new_arpa is not None:
        _change(seg, data, "new_arpa", up)
    return True


def _new_healthy(seg: Segment, data: dict, x: float) -> bool:
    """Onboarding that starts ``x`` (points) more new customers in the healthiest usage state (the
    lowest churn multiplier), the other states' shares shrunk in proportion."""
    h = seg.health
    if h is None:
        return False
    risk = [_median(s.churn_multiplier) for s in h.states]
    best = risk.index(min(risk))
    share = _median(h.states[best].new)
    if share >= 1.0:
        return False
    after = min(1.0, share + x)
    rest = (1.0 - after) / (1.0 - share)
    for i, state in enumerate(h.states):
        fn = (lambda v: min(1.0, v + x)) if i == best else (lambda v, k=rest: v * k)
        node = data["health"]["states"][i]
        node["new"] = change_value(state.new, node["new"], fn)
    return True


def _csms_add(seg: Segment, data: dict, x: float) -> bool:
    """``x`` more CSMs today in a segment with usage states: a fixed headcount grows by ``x``; a team
    that grows with the base keeps its new ratio, ``accounts_per_csm' = N / (N / a + x)`` with ``N``
    today's customers (``csm_per_account`` likewise, ``c + x / N``)."""
    cs = seg.cs
    if seg.health is None or cs is None:
        return False
    n = max(_median(seg.customers), 1.0)
    if cs.csms is not None:
        _change(seg, data, "cs.csms", lambda v: v + x)
    elif cs.accounts_per_csm is not None:
        _change(seg, data, "cs.accounts_per_csm", lambda a: n / (n / a + x))
    elif cs.csm_per_account is not None:
        _change(seg, data, "cs.csm_per_account", lambda c: c + x / n)
    else:
        data["cs"]["csms"] = float(x)
    return True


#: The built-in levers by name; add one by adding an entry (and its words to
#: :data:`cssim.words.labels.LEVER_LABELS`).
LEVERS: dict[str, Lever] = {
    lv.name: lv
    for lv in [
        Lever("churn_pt", "points", 0.005, _churn(points=True)),
        Lever("churn_rel", "relative", 0.10, _churn(points=False)),
        Lever("expansion_pt", "points", 0.001, _expansion(points=True)),
        Lever("expansion_rel", "relative", 0.10, _expansion(points=False)),
        Lever("acquisition_rel", "relative", 0.10, _acquisition),
        Lever("price_rel", "relative", 0.10, _price),
        Lever("onboarding_pt", "points", 0.01, _onboarding(points=True)),
        Lever("onboarding_rel", "relative", 0.10, _onboarding(points=False)),
        Lever("new_healthy_pt", "points", 0.10, _new_healthy),
        Lever("csms_add", "count", 1.0, _csms_add),
    ]
}

#: Levers at equal effort: each the same size in its own unit, so they can be ranked against each other
#: (1 point of monthly churn, 1 point of monthly expansion, +5% price, +10% new customers). Ranking a
#: -10% churn cut against +0.1 pt of expansion compares efforts of different sizes; this set does not.
EQUAL_EFFORT: dict[str, float] = {
    "churn_pt": 0.01,
    "expansion_pt": 0.01,
    "price_rel": 0.05,
    "acquisition_rel": 0.10,
    # where a segment has usage states: onboarding that starts 10 points more new customers healthy,
    # and one more CSM (these apply nowhere else, so other scenarios rank the four above)
    "new_healthy_pt": 0.10,
    "csms_add": 1.0,
}


def find_lever(name: str) -> Lever:
    """The lever called ``name``; ``KeyError`` naming the levers there are."""
    try:
        return LEVERS[name]
    except KeyError:
        raise KeyError(f"unknown lever {name!r}; levers: {', '.join(LEVERS)}") from None


def apply_lever(
    scenario: Scenario, lever: str, size: float | None = None, segment: str | None = None
) -> Scenario:
    """The scenario with one lever pulled, in every segment (``segment=None``) or in one.

    Raises ``ValueError`` when the lever applies to none of the chosen segments.
    """
    lv = find_lever(lever)
    size = lv.default if size is None else float(size)
    data = scenario.to_dict()
    hit = False
    for seg, seg_data in zip(scenario.segments, data["segments"], strict=True):
        if segment is None or seg.name == segment:
            hit |= lv.apply(seg, seg_data, size)
    if not hit:
        where = f"segment {segment!r}" if segment else "any segment"
        raise ValueError(f"lever {lever!r} does not apply to {where} of {scenario.name!r}")
    return Scenario.from_dict(data, source=f"{scenario.name} ({lv.describe(size)})")


def segment_changed(scenario: Scenario, index: int, data: dict) -> Scenario:
    """The scenario with segment ``index`` changed to ``data``, to simulate for that segment's figures.

    Segments are simulated independently, so this is :func:`one_segment` alone, unless the segments'
    parameters are drawn together: correlations (a block's draws are reordered across segments) or
    Sobol sampling (a parameter's dimension is its place among all uncertain parameters). Then the whole
    scenario runs, so the segment still draws exactly what it draws in the whole (common random numbers).
    """
    from ..model.design import sampling_of

    if scenario.correlations or (sampling_of(scenario) == "sobol" and scenario.uncertain()):
        whole = scenario.to_dict()
        whole["segments"][index] = data
        out = Scenario.from_dict(whole, source=f"{scenario.name} (segment {data['name']})")
        return out.with_stream_keys(scenario.stream_keys())
    return one_segment(scenario, index, data)


def one_segment(scenario: Scenario, index: int, data: dict | None = None) -> Scenario:
    """The scenario with only its segment ``index`` (segments are simulated independently), given as
    ``data`` when it is changed; it keeps the random streams it has in the whole scenario, so it draws
    the numbers it draws there (common random numbers)."""
    whole = scenario.to_dict()
    whole["segments"] = [whole["segments"][index] if data is None else data]
    name = whole["segments"][0]["name"]
    one = Scenario.from_dict(whole, source=f"{scenario.name} (segment {name})")
    return one.with_stream_keys([scenario.stream_keys()[index]])


def _medians(data: dict, segment: dict) -> dict[str, float]:
    """A segment's parameters (given as data) as ``field -> median`` (an absent expansion reads as a
    rate of 0)."""
    one = Scenario.from_dict({**data, "segments": [segment]})
    prefix = len(one.segments[0].name) + 1
    out = {}
    for path, value in one.parameters():
        out[path[prefix:]] = _median(value)
    out.setdefault("expansion.rate", 0.0)
    return out


def lever_changes(
    scenario: Scenario, lever: str, size: float | None = None
) -> list[tuple[str, str, float, float]]:
    """What a lever changes, as ``(segment, field, before, after)`` for each segment it applies to.

    ``field`` is the parameter inside the segment (``churn.monthly``, ``acquisition.rate``, ``arpa``,
    ...) and ``before`` / ``after`` its median: "churn 3% -> 2% a month" for ``churn_pt`` at 0.01. An
    sBG churn reads through ``churn.heterogeneity.beta`` (its first-month churn is what moves).
    """
    lv = find_lever(lever)
    size = lv.default if size is None else float(size)
    data = scenario.to_dict()
    out = []
    for seg, seg_data in zip(scenario.segments, data["segments"], strict=True):
        new = copy.deepcopy(seg_data)
        if not lv.apply(seg, new, size):
            continue
        before, after = _medians(data, seg_data), _medians(data, new)
        for field, value in after.items():
            old = before.get(field, 0.0)
            if not math.isclose(old, value, rel_tol=1e-12, abs_tol=1e-15):
                out.append((seg.name, field, old, value))
    return out
