"""Exact inverse-CDF samplers for binomial and Poisson counts.

numpy's ``Generator.binomial`` and ``Generator.poisson`` consume a variable number of uniforms (BTPE and
PTRS rejection for large means, none at all when ``n == 0``), so two scenarios run with the same seed drift
apart as soon as one parameter differs: a slider would show resampling noise instead of the parameter's
effect. cssim therefore draws every count by inversion,

.. math:: X = F^{-1}(U) = \\min\\{k : F(k) \\ge U\\},

with exactly one uniform ``U`` per variate. The mapping is monotone in ``n``, ``p`` and ``lambda`` for a
fixed ``U``, which is the coupling common random numbers need, and the stream consumed depends only on the
array shape, never on parameter values.

Small means use a vectorised sequential search on the pmf recurrence; large means start from a
Cornish-Fisher quantile and are corrected with the exact CDF (``scipy.special.bdtr`` / ``pdtr``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["binomial", "poisson"]

#: Means above this use the Cornish-Fisher start and the exact CDF instead of a search from zero.
_LARGE_MEAN = 30.0
#: Dense (un-compacted) iterations of the sequential search before the stragglers are compacted.
_DENSE_STEPS = 3


def _search_from_zero(pmf: np.ndarray, ratio_fn, u: np.ndarray, limit: np.ndarray | None) -> np.ndarray:
    """Sequential inversion: count the k with F(k) < u, walking the pmf recurrence.

    ``pmf`` holds P(X = 0); ``ratio_fn(k, sel)`` gives P(X = k) / P(X = k - 1) for the selected elements.
    """
    cdf = pmf.copy()
    x = (u > cdf).astype(np.int64)
    k = 1
    # Dense phase: every element, no fancy indexing (most means here are below 1).
    while k <= _DENSE_STEPS:
        if not (x == k).any():  # every element has stopped
            return x if limit is None else np.minimum(x, limit)
        pmf = pmf * ratio_fn(k, None)
        cdf = cdf + pmf
        x += u > cdf
        k += 1
    # Compacted phase: only elements that have not stopped yet.
    active = np.flatnonzero(x == k)
    pmf_a, cdf_a, u_a = pmf[active], cdf[active], u[active]
    while active.size:
        pmf_a = pmf_a * ratio_fn(k, active)
        cdf_a = cdf_a + pmf_a
        more = u_a > cdf_a
        if limit is not None:
            more &= limit[active] > k
        x[active[more]] += 1
        active, pmf_a, cdf_a, u_a = active[more], pmf_a[more], cdf_a[more], u_a[more]
        k += 1
    return x if limit is None else np.minimum(x, limit)


def _correct(k: np.ndarray, cdf, pmf, u: np.ndarray, upper: np.ndarray | None) -> np.ndarray:
    """Move a quantile guess ``k`` to min{k : F(k) >= u}.

    ``cdf(k, sel)`` is the exact CDF and ``pmf(k, sel)`` the pmf of the selected elements (all if
    ``sel`` is None). Guesses are usually within one step, so few CDF evaluations are needed.
    """
    f = cdf(k)
    sel = np.flatnonzero((f < u) if upper is None else (f < u) & (k < upper))
    while sel.size:  # step up while F(k) < u
        k[sel] += 1
        f[sel] = cdf(k[sel], sel)
        keep = f[sel] < u[sel]
        if upper is not None:
            keep &= k[sel] < upper[sel]
        sel = sel[keep]
    sel = np.flatnonzero(k > 0)
    while sel.size:  # step down while F(k - 1) = F(k) - P(k) >= u
        below = f[sel] - pmf(k[sel], sel)
        keep = below >= u[sel]
        sel = sel[keep]
        f[sel] = below[keep]
        k[sel] -= 1
        sel = sel[k[sel] > 0]
    return k


def binomial(n: np.ndarray, p: np.ndarray | float, u: np.ndarray) -> np.ndarray:
    """Binomial(n, p) counts by exact inversion of one uniform each.

    Parameters
    ----------
    n : array of int
        Trials (customers at risk), any shape.
    p : array or float
        Success probability, broadcastable to ``n``.
    u : array of float
        Uniforms in [0, 1), same shape as ``n``.

    Returns
    -------
    numpy.ndarray of int64, shape of ``n``
        ``X = F^{-1}(u)``; P(X = k) = C(n, k) p^k (1 - p)^(n - k).
    """
    n = np.asarray(n, dtype=np.int64)
    shape = n.shape
    n = n.ravel()
    u = np.asarray(u, dtype=np.float64).ravel()
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), shape).ravel()
    # Symmetry keeps the search short: X(n, p, u) = n - X(n, 1 - p, 1 - u).
    flip = p > 0.5
    if flip.any():
        p = np.where(flip, 1.0 - p, p)
        u = np.where(flip, 1.0 - u, u)
    mean = n * p
    large = mean > _LARGE_MEAN
    small = ~large & (n > 0) & (p > 0)
    if small.all():
        out = _binomial_small(n, p, u)
    else:
        out = np.zeros(n.shape, dtype=np.int64)
        if small.any():
            idx = np.flatnonzero(small)
            out[idx] = _binomial_small(n[idx], p[idx], u[idx])
        if large.any():
            idx = np.flatnonzero(large)
            out[idx] = _binomial_large(n[idx], p[idx], u[idx])
    if flip.any():
        out = np.where(flip, n - out, out)
    return out.reshape(shape)


def _binomial_small(n: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    nf = n.astype(np.float64)
    odds = p / (1.0 - p)
    pmf0 = np.exp(nf * np.log1p(-p))

    def ratio(k, sel):
        if sel is None:
            return (nf - (k - 1)) / k * odds
        return (nf[sel] - (k - 1)) / k * odds[sel]

    return _search_from_zero(pmf0, ratio, u, n)


def _binomial_large(n: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    q = 1.0 - p
    mean = n * p
    sd = np.sqrt(mean * q)
    z = special.ndtri(np.clip(u, 1e-300, None))
    guess = np.floor(mean + sd * z + (z * z - 1.0) * (q - p) / 6.0 + 0.5)
    k = np.clip(guess, 0, n).astype(np.int64)

    def cdf(kk, sel=None):
        nn, pp = (n, p) if sel is None else (n[sel], p[sel])
        return special.bdtr(kk, nn, pp)

    def pmf(kk, sel=None):
        nn, pp = (n, p) if sel is None else (n[sel], p[sel])
        return np.exp(
            special.gammaln(nn + 1.0) - special.gammaln(kk + 1.0) - special.gammaln(nn - kk + 1.0)
            + kk * np.log(pp) + (nn - kk) * np.log1p(-pp)
        )

    return _correct(k, cdf, pmf, u, n)


def poisson(lam: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson(lam) counts by exact inversion of one uniform each.

    P(X = k) = lam^k e^(-lam) / k!; ``lam`` and ``u`` share a shape.
    """
    lam, u = np.broadcast_arrays(np.asarray(lam, dtype=np.float64), np.asarray(u, dtype=np.float64))
    shape = lam.shape
    lam, u = lam.ravel(), u.ravel()
    out = np.zeros(lam.shape, dtype=np.int64)
    large = lam > _LARGE_MEAN
    small = ~large & (lam > 0)
    if small.any():
        idx = np.flatnonzero(small)
        ls, us = lam[idx], u[idx]

        def ratio(k, sel):
            return (ls if sel is None else ls[sel]) / k

        out[idx] = _search_from_zero(np.exp(-ls), ratio, us, None)
    if large.any():
        idx = np.flatnonzero(large)
        ll, ul = lam[idx], u[idx]
        z = special.ndtri(np.clip(ul, 1e-300, None))
        guess = np.floor(ll + np.sqrt(ll) * z + (z * z - 1.0) / 6.0 + 0.5)
        k = np.clip(guess, 0, None).astype(np.int64)

        def cdf(kk, sel=None):
            return special.pdtr(kk, ll if sel is None else ll[sel])

        def pmf(kk, sel=None):
            lm = ll if sel is None else ll[sel]
            return np.exp(kk * np.log(lm) - lm - special.gammaln(kk + 1.0))

        out[idx] = _correct(k, cdf, pmf, ul, None)
    return out.reshape(shape)
