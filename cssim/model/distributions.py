"""Uncertain parameters: distributions drawn once per path by inverse CDF.

A parameter written as a distribution is drawn once per path from its own uniform stream,
``x = F^{-1}(F(lo) + u (F(hi) - F(lo)))``, i.e. truncated to the field's allowed range ``[lo, hi]``. Inverse
CDF keeps draws monotone in ``u``, so two scenarios on common random numbers see matched worlds.

In YAML a distribution is a mapping with ``kind``::

    monthly: {kind: beta, mean: 0.03, sd: 0.01}
    monthly: {kind: interval90, low: 0.02, high: 0.05}
    monthly: [0.02, 0.05]          # shorthand for interval90
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ._lazy import scipy_special as special

__all__ = [
    "Beta",
    "Distribution",
    "Interval90",
    "LogNormal",
    "Normal",
    "Pert",
    "Triangular",
    "Uniform",
]

#: z such that P(Z < z) = 0.95: a 90% interval spans mean +- z sd.
_Z90 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95), written out: scipy loads on first use
#: A distribution must put at least this much probability inside the field's allowed range.
MIN_MASS_INSIDE = 0.9


class _Frozen:
    """CDF and quantile function of a location-scale family, from ``scipy.special`` alone.

    ``F(x) = F_0((x - loc) / scale)`` on the standard support ``[a, b]`` (0 below, 1 above) and
    ``F^{-1}(q) = F_0^{-1}(q) scale + loc`` (the support's ends at q = 0 and 1, NaN outside [0, 1]): the
    same operations, in the same order, as ``scipy.stats``' frozen distributions, so the numbers are
    bit-for-bit theirs (for the beta, wherever ``q >= 2**-53``, the smallest uniform a run draws but 0:
    below about 1e-16 ``betaincinv`` returns its best root where ``scipy.stats`` gives up with NaN). It exists because ``scipy.stats`` takes about 0.8 s to import and
    ``cssim validate`` needs only these two functions (``scipy.special`` takes about 0.2 s).
    """

    def __init__(
        self, cdf, ppf, loc: float, scale: float, a: float = -math.inf, b: float = math.inf
    ):
        self._cdf0, self._ppf0, self.loc, self.scale, self.a, self.b = cdf, ppf, loc, scale, a, b

    # Extreme parameters overflow to inf or NaN quietly, as in scipy.stats: validation reads the
    # result (a NaN mass or quantile is refused with a message), so numpy's warnings would be noise.
    @np.errstate(all="ignore")
    def cdf(self, x):
        z = (np.asarray(x, dtype=float) - self.loc) / self.scale
        inside = (self.a < z) & (z < self.b)
        out = np.where(z >= self.b, 1.0, np.where(np.isnan(z), np.nan, 0.0))
        if np.any(inside):
            out = np.where(inside, self._cdf0(np.where(inside, z, (self.a + self.b) / 2)), out)
        return out[()]

    @np.errstate(all="ignore")
    def ppf(self, q):
        q = np.asarray(q, dtype=float)
        inside = (0 < q) & (q < 1)
        out = np.where(q == 0, self.a, np.where(q == 1, self.b, np.nan)) * self.scale + self.loc
        if np.any(inside):
            out = np.where(
                inside, self._ppf0(np.where(inside, q, 0.5)) * self.scale + self.loc, out
            )
        return out[()]


def _norm(loc: float, scale: float) -> _Frozen:
    return _Frozen(special.ndtr, special.ndtri, loc, scale)


def _lognorm(s: float, scale: float) -> _Frozen:
    """Lognormal: ``F_0(x) = Phi(ln(x) / s)`` on ``[0, inf)``, ``F_0^{-1}(q) = exp(s Phi^{-1}(q))``."""
    return _Frozen(
        lambda x: special.ndtr(np.log(x) / s),
        lambda q: np.exp(s * special.ndtri(q)),
        0.0,
        scale,
        0.0,
    )


def _beta(a: float, b: float, loc: float, scale: float) -> _Frozen:
    """Beta: ``F_0 = I_x(a, b)``, the regularised incomplete beta function, on ``[0, 1]``."""
    return _Frozen(
        lambda x: special.betainc(a, b, x),
        lambda q: special.betaincinv(a, b, q),
        loc,
        scale,
        0.0,
        1.0,
    )


def _triang(c: float, loc: float, scale: float) -> _Frozen:
    """Triangular with its mode at ``c`` of the way: ``F_0(x) = x^2 / c`` below c,
    ``(x^2 - 2x + c) / (c - 1)`` above; ``F_0^{-1}(q) = sqrt(c q)`` or ``1 - sqrt((1 - c)(1 - q))``."""

    def cdf(x):
        if c == 0:
            return 2 * x - x * x
        if c == 1:
            return x * x
        return np.where(x < c, x * x / c, (x * x - 2 * x + c) / (c - 1))

    def ppf(q):
        return np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q)))

    return _Frozen(cdf, ppf, loc, scale, 0.0, 1.0)


def _uniform(loc: float, scale: float) -> _Frozen:
    return _Frozen(lambda x: x, lambda q: q, loc, scale, 0.0, 1.0)


PositiveFloat = Annotated[float, Field(gt=0, strict=True)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False, strict=True)]


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    _lo: float = PrivateAttr(-math.inf)
    _hi: float = PrivateAttr(math.inf)

    def frozen(self):  # pragma: no cover - each subclass overrides
        raise NotImplementedError

    def with_bounds(self, lo: float, hi: float) -> _Dist:
        """A copy truncated to ``[lo, hi]`` (the field's allowed range)."""
        out = self.model_copy()
        out._lo, out._hi = lo, hi
        return out

    @property
    def bounds(self) -> tuple[float, float]:
        return self._lo, self._hi

    def mass_inside(self, lo: float, hi: float) -> float:
        d = self.frozen()
        return float(d.cdf(hi) - d.cdf(lo)) if hi > lo else 0.0

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """Quantile function of the distribution truncated to its bounds.

        .. math:: x = F^{-1}\\big(F(lo) + u\\,(F(hi) - F(lo))\\big)
        """
        d = self.frozen()
        flo, fhi = d.cdf(self._lo), d.cdf(self._hi)
        x = d.ppf(flo + np.asarray(u, dtype=float) * (fhi - flo))
        return np.clip(x, self._lo, self._hi)

    def median(self) -> float:
        return float(self.ppf(0.5))

    def describe(self) -> str:
        """Short text for tables, e.g. ``beta(mean=0.03, sd=0.01)``."""
        args = ", ".join(
            f"{k}={v:g}" for k, v in self.model_dump(exclude={"kind"}).items() if v is not None
        )
        return f"{self.kind}({args})"


class Normal(_Dist):
    """Normal(mean, sd)."""

    kind: Literal["normal"]
    mean: FiniteFloat
    sd: PositiveFloat

    def frozen(self):
        return _norm(self.mean, self.sd)


class LogNormal(_Dist):
    """Lognormal with the given arithmetic mean and sd.

    ``sigma^2 = ln(1 + sd^2 / mean^2)``, ``mu = ln(mean) - sigma^2 / 2``.
    """

    kind: Literal["lognormal"]
    mean: PositiveFloat
    sd: PositiveFloat

    @model_validator(mode="after")
    def _moments(self):
        ratio = self.sd / self.mean
        if not (ratio <= 1e6 and self.mean <= 1e300):
            raise ValueError(
                f"sd {self.sd:g} and mean {self.mean:g} are too extreme for a lognormal: "
                "give sd at most 1e6 times the mean and a mean at most 1e300"
            )
        return self

    def frozen(self):
        s2 = math.log1p((self.sd / self.mean) ** 2)
        return _lognorm(s=math.sqrt(s2), scale=math.exp(math.log(self.mean) - s2 / 2))


class Beta(_Dist):
    """Beta on ``[low, high]`` (default [0, 1]), by shape (``alpha``, ``beta``) or by ``mean`` and ``sd``.

    From mean m and sd s on [0, 1]: ``nu = m (1 - m) / s^2 - 1``, ``alpha = m nu``, ``beta = (1 - m) nu``.
    """

    kind: Literal["beta"]
    alpha: PositiveFloat | None = None
    beta: PositiveFloat | None = None
    mean: FiniteFloat | None = None
    sd: PositiveFloat | None = None
    low: FiniteFloat = 0.0
    high: FiniteFloat = 1.0

    @model_validator(mode="after")
    def _shape(self):
        shape = self.alpha is not None or self.beta is not None
        moments = self.mean is not None or self.sd is not None
        if shape == moments:
            raise ValueError("give either alpha and beta, or mean and sd")
        if shape and (self.alpha is None or self.beta is None):
            raise ValueError("give both alpha and beta")
        if moments and (self.mean is None or self.sd is None):
            raise ValueError("give both mean and sd")
        if not self.high > self.low:
            raise ValueError(f"high ({self.high:g}) must be above low ({self.low:g})")
        if moments:
            m = (self.mean - self.low) / (self.high - self.low)
            s = self.sd / (self.high - self.low)
            if not 0 < m < 1:
                raise ValueError(f"mean {self.mean:g} must lie strictly between low and high")
            if s * s >= m * (1 - m):
                limit = math.sqrt(m * (1 - m)) * (self.high - self.low)
                raise ValueError(
                    f"sd {self.sd:g} is too large for mean {self.mean:g}: a beta needs sd < {limit:.4g}"
                )
        return self

    def shape(self) -> tuple[float, float]:
        if self.alpha is not None:
            return self.alpha, self.beta
        m = (self.mean - self.low) / (self.high - self.low)
        s = self.sd / (self.high - self.low)
        nu = m * (1 - m) / (s * s) - 1
        return m * nu, (1 - m) * nu

    def frozen(self):
        a, b = self.shape()
        return _beta(a, b, loc=self.low, scale=self.high - self.low)


class _ThreePoint(_Dist):
    low: FiniteFloat
    mode: FiniteFloat
    high: FiniteFloat

    @model_validator(mode="after")
    def _order(self):
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"need low <= mode <= high with low < high, got {self.low:g}, {self.mode:g}, "
                f"{self.high:g}"
            )
        return self


class Triangular(_ThreePoint):
    """Triangular(low, mode, high)."""

    kind: Literal["triangular"]

    def frozen(self):
        width = self.high - self.low
        return _triang((self.mode - self.low) / width, loc=self.low, scale=width)


class Pert(_ThreePoint):
    """PERT(low, mode, high): a beta on [low, high] with
    ``alpha = 1 + lambda (mode - low) / (high - low)``, ``beta = 1 + lambda (high - mode) / (high - low)``.
    """

    kind: Literal["pert"]
    lamb: PositiveFloat = 4.0

    def frozen(self):
        width = self.high - self.low
        a = 1 + self.lamb * (self.mode - self.low) / width
        b = 1 + self.lamb * (self.high - self.mode) / width
        return _beta(a, b, loc=self.low, scale=width)


class Uniform(_Dist):
    """Uniform(low, high)."""

    kind: Literal["uniform"]
    low: FiniteFloat
    high: FiniteFloat

    @model_validator(mode="after")
    def _order(self):
        if not self.high > self.low:
            raise ValueError(f"high ({self.high:g}) must be above low ({self.low:g})")
        return self

    def frozen(self):
        return _uniform(self.low, self.high - self.low)


class Interval90(_Dist):
    """A 90% interval ``[low, high]``: 5% of paths fall below low and 5% above high.

    Lognormal when ``low > 0`` (rates, prices and counts are positive and skewed), normal otherwise:
    ``mu = (g(low) + g(high)) / 2``, ``sigma = (g(high) - g(low)) / (2 z_0.95)`` with ``g = ln`` or identity.
    """

    kind: Literal["interval90"]
    low: FiniteFloat
    high: FiniteFloat

    @model_validator(mode="after")
    def _order(self):
        if not self.high > self.low:
            raise ValueError(f"high ({self.high:g}) must be above low ({self.low:g})")
        return self

    def frozen(self):
        if self.low > 0:
            lo, hi = math.log(self.low), math.log(self.high)
            return _lognorm(s=(hi - lo) / (2 * _Z90), scale=math.exp((lo + hi) / 2))
        return _norm((self.low + self.high) / 2, (self.high - self.low) / (2 * _Z90))


Distribution = Annotated[
    Normal | LogNormal | Beta | Triangular | Pert | Uniform | Interval90,
    Field(discriminator="kind"),
]
