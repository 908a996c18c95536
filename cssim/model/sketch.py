"""A mergeable quantile sketch with a stated relative-error bound: a log-spaced histogram per month.

The sketch is the fixed-bin form of DDSketch (Masson, Rim and Lee, "DDSketch: a fast and fully-mergeable
quantile sketch with relative-error guarantees", VLDB 2019). With relative accuracy ``alpha`` and

.. math::  \\gamma = \\frac{1 + \\alpha}{1 - \\alpha},

a value :math:`x` with :math:`|x| \\ge x_{\\min}` falls in bin :math:`k = \\lceil \\log_\\gamma |x| \\rceil`
(the interval :math:`(\\gamma^{k-1}, \\gamma^k]`) on its sign's side, and the bin stands for

.. math::  \\hat x = \\operatorname{sign}(x)\\,\\frac{2\\gamma^k}{\\gamma + 1},
   \\qquad |\\hat x - x| \\le \\alpha |x| .

Values with :math:`|x| < x_{\\min}` count as 0 (absolute error below :math:`x_{\\min}`); NaN and infinite
values are not counted. The bins are fixed by ``alpha`` alone, so merging two sketches adds integer counts:
exact, and the same in any order.

**Bound.** The quantile at level :math:`q` of :math:`n` counted values is read as numpy's default (linear)
quantile: with :math:`h = q(n-1)`, :math:`i = \\lfloor h \\rfloor` and :math:`w = h - i`, it is
:math:`(1-w)\\hat x_{(i)} + w\\hat x_{(i+1)}`, where :math:`\\hat x_{(j)}` is the representative of the
bin holding the :math:`j`-th smallest value. Ordering is preserved by the bins, so

.. math::  |\\tilde Q(q) - Q(q)| \\le \\alpha \\max(|x_{(i)}|, |x_{(i+1)}|) + x_{\\min},

with :math:`Q` the exact linear-interpolated quantile and :math:`x_{(j)}` the exact order statistics (up
to floating-point rounding of the logarithm at a bin edge, about :math:`10^{-15}` relative).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["DEFAULT_ALPHA", "LogHistogram"]

#: Relative accuracy of the quantiles a summary-mode run reports (0.5%).
DEFAULT_ALPHA = 0.005
#: Magnitudes below this count as 0.
X_MIN = 1e-12


class LogHistogram:
    """Counts of values per (month, log-spaced bin), for one metric of one segment.

    Parameters
    ----------
    months : int
        Number of columns (months 0..H gives H + 1).
    alpha : float
        Relative accuracy, ``0 < alpha < 1`` (see the module docstring for the bound).

    Attributes
    ----------
    zero : ndarray of int64, shape (months,)
        Values with ``|x| < X_MIN`` per month.
    pos, neg : tuple of (int, ndarray (months, bins))
        The first bin key and the counts of positive and negative values by ``ceil(log_gamma |x|)``
        (int32 in a one-block sketch, int64 once merged).
    """

    def __init__(self, months: int, alpha: float = DEFAULT_ALPHA):
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
        self.months = months
        self.alpha = float(alpha)
        self.log_gamma = float(np.log1p(alpha) - np.log1p(-alpha))
        self.zero = np.zeros(months, dtype=np.int64)
        self.pos = (0, np.zeros((months, 0), dtype=np.int64))
        self.neg = (0, np.zeros((months, 0), dtype=np.int64))

    # -- building and merging ------------------------------------------------------------------------
    @classmethod
    def of(cls, values: np.ndarray, alpha: float = DEFAULT_ALPHA) -> LogHistogram:
        """The sketch of ``values`` (paths, months): each column is one month."""
        values = np.asarray(values, dtype=np.float64)
        sk = cls(values.shape[1], alpha)
        finite = np.isfinite(values)
        mag = np.abs(values)
        small = finite & (mag < X_MIN)
        sk.zero = small.sum(0).astype(np.int64)
        month = np.broadcast_to(np.arange(values.shape[1]), values.shape)
        for side, mask in (
            ("pos", finite & (values >= X_MIN)),
            ("neg", finite & (values <= -X_MIN)),
        ):
            if not mask.any():
                continue
            keys = np.ceil(np.log(mag[mask]) / sk.log_gamma).astype(np.int64)
            lo = int(keys.min())
            width = int(keys.max()) - lo + 1
            flat = month[mask] * width + (keys - lo)
            counts = np.bincount(flat, minlength=sk.months * width).reshape(sk.months, width)
            # int32 per block (a block is far below 2**31 paths) halves what a task sends back
            setattr(sk, side, (lo, counts.astype(np.int32)))
        return sk

    def merge(self, other: LogHistogram) -> LogHistogram:
        """Add ``other``'s counts into this sketch (in place) and return it."""
        if other.months != self.months or other.alpha != self.alpha:
            raise ValueError("only sketches of the same months and alpha merge")
        self.zero = self.zero.astype(np.int64) + other.zero
        self.pos = _add(self.pos, other.pos)
        self.neg = _add(self.neg, other.neg)
        return self

    # -- reading -------------------------------------------------------------------------------------
    @property
    def count(self) -> np.ndarray:
        """Counted (finite) values per month."""
        return self.zero + self.pos[1].sum(1) + self.neg[1].sum(1)

    def _column(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Representative values in increasing order and their counts, for month ``t``."""
        g = self.log_gamma
        nlo, ncounts = self.neg
        plo, pcounts = self.pos
        nk = nlo + np.arange(ncounts.shape[1])
        pk = plo + np.arange(pcounts.shape[1])
        rep = 2.0 / (1.0 + np.exp(g))  # 2 / (gamma + 1)
        values = np.concatenate([-np.exp(nk[::-1] * g) * rep, [0.0], np.exp(pk * g) * rep])
        counts = np.concatenate([ncounts[t, ::-1], [self.zero[t]], pcounts[t]])
        keep = counts > 0
        return values[keep], counts[keep]

    def rank_value(self, t: int, ranks: np.ndarray) -> np.ndarray:
        """The representative of the ``rank``-th smallest value (0-based, integer ranks) in month t."""
        values, counts = self._column(t)
        cum = np.cumsum(counts)
        idx = np.searchsorted(cum, np.asarray(ranks), side="right")
        return values[np.minimum(idx, len(values) - 1)]

    def quantile(self, q: Sequence[float] | float) -> np.ndarray:
        """Quantiles per month, shape (len(q), months); NaN where a month has no counted value.

        Linear interpolation between order statistics, as ``numpy.quantile``; the error bound is in the
        module docstring.
        """
        q = np.atleast_1d(np.asarray(q, dtype=np.float64))
        out = np.full((q.size, self.months), np.nan)
        n = self.count
        for t in range(self.months):
            if n[t] == 0:
                continue
            h = q * (n[t] - 1)
            i = np.floor(h).astype(np.int64)
            w = h - i
            lo = self.rank_value(t, i)
            hi = self.rank_value(t, np.minimum(i + 1, n[t] - 1))
            out[:, t] = lo + w * (hi - lo)
        return out

    def nbytes(self) -> int:
        return self.zero.nbytes + self.pos[1].nbytes + self.neg[1].nbytes


def _add(a: tuple[int, np.ndarray], b: tuple[int, np.ndarray]) -> tuple[int, np.ndarray]:
    """Sum of two (first key, counts) sides, widened to cover both key ranges."""
    (alo, ac), (blo, bc) = a, b
    if bc.shape[1] == 0:
        return a
    if ac.shape[1] == 0:
        return blo, bc.astype(np.int64)
    lo = min(alo, blo)
    hi = max(alo + ac.shape[1], blo + bc.shape[1])
    if lo == alo and hi == alo + ac.shape[1] and ac.dtype == np.int64:
        out = ac  # b fits inside a: add in place, no copy
    else:
        out = np.zeros((ac.shape[0], hi - lo), dtype=np.int64)
        out[:, alo - lo : alo - lo + ac.shape[1]] = ac
    out[:, blo - lo : blo - lo + bc.shape[1]] += bc
    return lo, out
