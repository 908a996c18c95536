r"""A fitted distribution's spread scaled and kept inside its field's range (what calibration and the band
widening share).

A scenario refuses a distribution that puts less than 90% of its mass inside its field's allowed range
(``contraction.probability`` is at least 0.001, for instance). :func:`scale_spread` sets a ``{kind,
mean, sd}`` distribution's sd to :math:`k s` and, where that leaves less than :data:`MASS` inside the
range, cuts the factor back by bisection to the largest :math:`k' \le k` that keeps it:

.. math:: k' = \max \{ f \in [0, k] : P_{f s}(\text{low} \le X \le \text{high}) \ge 0.92 \}.

A beta also keeps :math:`\alpha + \beta \ge 1` (a hump or a flat curve, never a U):
:math:`k s \le \sqrt{m (1 - m) / 2}` on the unit scale.
"""

from __future__ import annotations

import math

from scipy import stats

from ..model.segment import Segment

__all__ = ["MASS", "mass_inside", "scale_spread"]

#: the share of a distribution kept inside its field's range (the format asks 0.9)
MASS = 0.92


def mass_inside(d: dict, sd: float, lo: float, hi: float) -> float:
    """Share of the distribution ``d`` (normal, lognormal or beta by mean) with sd ``sd`` in ``[lo, hi]``."""
    kind, mean = d["kind"], float(d["mean"])
    if kind == "normal":
        return float(stats.norm.cdf(hi, mean, sd) - stats.norm.cdf(lo, mean, sd))
    if kind == "beta":
        low, high = float(d.get("low", 0.0)), float(d.get("high", 1.0))
        m, v = (mean - low) / (high - low), (sd / (high - low)) ** 2
        nu = m * (1 - m) / v - 1
        dist = stats.beta(m * nu, (1 - m) * nu, loc=low, scale=high - low)
        return float(dist.cdf(hi) - dist.cdf(lo))
    sigma = math.sqrt(math.log1p((sd / mean) ** 2))
    mu = math.log(mean) - sigma**2 / 2
    upper = stats.norm.cdf((math.log(hi) - mu) / sigma) if math.isfinite(hi) else 1.0
    lower = stats.norm.cdf((math.log(lo) - mu) / sigma) if lo > 0 else 0.0
    return float(upper - lower)


def scale_spread(d: dict, k: float, path: str) -> dict:
    """``d`` (``{kind, mean, sd, ...}``, the field at ``path`` of a segment) with its sd times ``k``,
    kept valid (module docstring); other distributions unchanged."""
    kind, mean, sd = d.get("kind"), d.get("mean"), d.get("sd")
    if kind not in ("normal", "lognormal", "beta") or mean is None or not sd:
        return d
    if kind == "beta":
        lo, hi = float(d.get("low", 0.0)), float(d.get("high", 1.0))
        m = (mean - lo) / (hi - lo)
        k = min(k, math.sqrt(m * (1 - m) / 2) * (hi - lo) / sd)
    from ..model.fields import field_range

    rng = field_range(Segment, path)
    lo, hi = (rng.low, rng.high) if rng is not None else (-math.inf, math.inf)
    if not lo <= mean <= hi or mass_inside(d, sd * k, lo, hi) >= MASS:
        return {**d, "sd": float(sd * k)}
    a, b = 0.0, k  # bisection on the factor: the mass inside falls as the spread grows
    for _ in range(40):
        mid = (a + b) / 2
        a, b = (mid, b) if mass_inside(d, sd * mid, lo, hi) >= MASS else (a, mid)
    return {**d, "sd": float(sd * a)} if a > 0 else float(mean)
