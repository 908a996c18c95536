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

The search is organised for speed (cache-sized slices, compaction by gathering, the last stragglers several
steps per numpy call), but every element's CDF is accumulated by the same products and sums in the same
order however the work is split, so the counts are bit-for-bit those of a plain one-step-at-a-time search.
"""

from __future__ import annotations

import numpy as np

from ._lazy import scipy_special as special

__all__ = ["binomial", "poisson"]

#: Means above this use the Cornish-Fisher start and the exact CDF instead of a search from zero.
_LARGE_MEAN = 30.0
#: Elements per slice of the sequential search: small enough for its working arrays to stay in cache.
_CHUNK = 32_768
#: Elements still searching below which a slice's stragglers are left to finish with the others.
_STRAGGLERS = 512
#: A slice is compacted when no more than 1 / _COMPACT of its elements are still searching.
_COMPACT = 8
#: A Poisson search stops after this many steps: its pmf has long underflowed and its CDF, stuck a few
#: ulps below a u within a few ulps of 1, can no longer reach it.
_MAX_STEPS = 10_000


def _binomial_ratio(
    k, nf: np.ndarray, odds: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """P(X = k) / P(X = k - 1) = (n - k + 1) / k x p / (1 - p), evaluated as ``((n - (k - 1)) / k) odds``."""
    r = np.subtract(nf, k - 1, out=out)
    np.divide(r, k, out=r)
    return np.multiply(r, odds, out=r)


def _poisson_ratio(k, lam: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """P(X = k) / P(X = k - 1) = lambda / k."""
    return np.divide(lam, k, out=out)


def _search_from_zero(u: np.ndarray, prepare, ratio) -> np.ndarray:
    """Sequential inversion: ``X = #{k : F(k) < u}``, walking the pmf recurrence from zero.

    ``F(k) = F(k - 1) + P(k)`` with ``P(k) = P(k - 1) ratio(k, *coef)`` is accumulated in exactly this
    floating-point order for every element, so ``X`` does not depend on how the work is split. ``u`` is
    2-D; ``prepare(rows)`` returns, for a slice of its rows, ``(pmf, coef, cap)``: P(X = 0), the
    arguments of ``ratio`` and the binomial n as float (None for Poisson), all broadcasting to the slice.

    Row slices of about :data:`_CHUNK` elements, which stay in cache, are prepared and stepped one step at a
    time until few of their elements are still searching (:func:`_walk`); the stragglers of all slices then
    finish together, several steps at a time (:func:`_finish`).
    """
    rows, cols = u.shape
    out = np.empty((rows, cols), dtype=np.int64)
    step = max(1, _CHUNK // max(cols, 1))
    tails = []
    for r0 in range(0, rows, step):
        part = slice(r0, r0 + step)
        pmf, coef, cap = prepare(part)
        out[part], tail = _walk(pmf, u[part], coef, ratio, cap)
        if tail is not None:
            tails.append((tail[0] + r0 * cols, *tail[1:]))
    if tails:
        idx, *state = (np.concatenate(a) for a in zip(*tails, strict=True))
        out.reshape(-1)[idx] = _finish(*state, ratio=ratio)
    return out


def _rows(a: np.ndarray, part: slice, shape: tuple) -> np.ndarray:
    """Rows ``part`` of ``a`` broadcast to ``shape`` (a view: nothing is copied)."""
    return np.broadcast_to(a, shape)[part]


def _walk(pmf, u, coef, ratio, cap):
    """Step all elements of a slice together until at most :data:`_STRAGGLERS` are still searching.

    Returns ``X`` so far (2-D) and the stragglers as ``(flat positions, x, k, pmf, cdf, u, cap, *coef)``,
    or None. Elements that have stopped keep stepping with the others (F only grows, so they stay
    stopped) until no more than 1 / :data:`_COMPACT` are still searching; then the survivors are gathered
    into 1-D arrays.
    """
    cols = u.shape[1]
    cdf = pmf.copy()
    more = u > cdf
    x = more.astype(np.int64)
    out, pos = x, None  # pos: flat positions in ``out`` of the (gathered) working elements
    alive = np.count_nonzero(more)
    k, steps, room = 0, 0, None
    while alive > _STRAGGLERS:
        if room is None:  # steps after which every element has reached its cap
            room = _MAX_STEPS if cap is None else cap.max()
        if alive <= x.size // _COMPACT or steps >= room:
            pos, take = _gather(out, pos, x, _keep(x, more, cap, k), cols)
            if not pos.size:
                return out, None
            x, pmf, cdf, u = x[take], pmf[take], cdf[take], u[take]
            coef = tuple(c[take] for c in coef)
            cap = None if cap is None else cap[take]
            more = np.ones(pos.size, dtype=bool)
            room, steps = None, 0
            continue
        k += 1
        np.multiply(pmf, ratio(k, *coef), out=pmf)
        cdf += pmf
        np.greater(u, cdf, out=more)
        x += more
        alive = np.count_nonzero(more)
        steps += 1
    pos, take = _gather(out, pos, x, _keep(x, more, cap, k), cols)
    if not pos.size:
        return out, None
    return out, (
        pos,
        x[take],
        np.full(pos.size, k),
        pmf[take],
        cdf[take],
        u[take],
        np.full(pos.size, np.inf) if cap is None else cap[take],
        *(c[take] for c in coef),
    )


def _keep(x, more, cap, k):
    """Elements still searching and below their cap; ``x`` is capped in place (only needed after steps)."""
    if cap is None:
        return more
    if k:
        np.minimum(x, cap, out=x, casting="unsafe")
    return more & (cap > x)


def _gather(out, pos, x, keep, cols):
    """Write the working counts ``x`` back to ``out`` and select the elements ``keep`` marks.

    Returns their flat positions in ``out`` and the index that takes them from the working arrays: row and
    column index arrays while those are still the 2-D slice (``pos`` None), else a 1-D index.
    """
    if pos is None:
        pos = np.flatnonzero(keep)
        return pos, np.divmod(pos, cols)
    out.reshape(-1)[pos] = x
    take = np.flatnonzero(keep)
    return pos[take], take


def _finish(x, k, pmf, cdf, u, cap, *coef, ratio):
    """Finish the search for elements each at its own step ``k``, ``width`` steps at a time.

    Each round evaluates the next ``width`` ratios as a (width, elements) array and accumulates them down
    the steps with ``cumprod`` and ``cumsum``: the same products and sums, in the same order, as one step
    at a time, with one numpy call per operation for all the steps.
    """
    out = x.copy()
    idx = np.arange(x.size)
    width, done = 8, 0
    while idx.size:
        pmfs = ratio(k + np.arange(1, width + 1)[:, None], *coef)
        pmfs[0] *= pmf
        np.cumprod(pmfs, axis=0, out=pmfs)  # P(k + j) = P(k + j - 1) r(k + j)
        cdfs = pmfs.copy()
        cdfs[0] += cdf
        np.cumsum(cdfs, axis=0, out=cdfs)  # F(k + j) = F(k + j - 1) + P(k + j)
        passed = (u > cdfs).sum(axis=0)
        x = np.minimum(x + passed, cap).astype(np.int64)
        out[idx] = x
        keep = (passed == width) & (cap > x)
        done += width
        if done > _MAX_STEPS:  # a Poisson CDF that can no longer reach u
            break
        idx, x, k, cap = idx[keep], x[keep], k[keep] + width, cap[keep]
        pmf, cdf, u = pmfs[-1, keep], cdfs[-1, keep], u[keep]
        coef = tuple(c[keep] for c in coef)
        width = min(2 * width, 64)
    return out


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
        Success probability, broadcastable to ``n`` (a scalar, a row of cohorts or a column of paths).
    u : array of float
        Uniforms in [0, 1), same shape as ``n``.

    Returns
    -------
    numpy.ndarray of int64, shape of ``n``
        ``X = F^{-1}(u)``; P(X = k) = C(n, k) p^k (1 - p)^(n - k).
    """
    n = np.asarray(n, dtype=np.int64)
    shape = n.shape
    u = np.asarray(u, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    # Symmetry keeps the search short: X(n, p, u) = n - X(n, 1 - p, 1 - u).
    flip = p > 0.5
    if flip.any():
        u = np.where(flip, 1.0 - u, u)
        p = np.where(flip, 1.0 - p, p)
    # The search works on 2-D arrays; p keeps its own (smaller) shape where it broadcasts.
    shape2 = shape if n.ndim == 2 else (1, n.size)
    if n.ndim != 2:
        n, u, p = n.reshape(shape2), u.reshape(shape2), np.broadcast_to(p, shape).reshape(shape2)
    log_q, odds = np.log1p(-p), p / (1.0 - p)
    large = []  # flat positions of the means above _LARGE_MEAN, by slice
    # rounding is monotone, so no n p can exceed max(n) max(p): most calls need no per-element check
    any_large = n.size and n.max() * p.max() > _LARGE_MEAN

    def prepare(rows: slice):
        nf = n[rows].astype(np.float64)
        pmf = np.exp(nf * _rows(log_q, rows, shape2))
        big = np.flatnonzero(nf * _rows(p, rows, shape2) > _LARGE_MEAN) if any_large else ()
        if len(big):
            pmf.reshape(-1)[big] = 1.0  # F(0) = 1 >= u: not searched here
            large.append(big + rows.start * shape2[1])
        return pmf, (nf, _rows(odds, rows, shape2)), nf

    out = _search_from_zero(u, prepare, _binomial_ratio)
    if large:
        idx = np.concatenate(large)
        flat = out.reshape(-1)
        where = np.unravel_index(idx, shape2)
        flat[idx] = _binomial_large(n[where], np.broadcast_to(p, shape2)[where], u[where])
    out = out.reshape(shape)
    if flip.any():
        out = np.where(flip, n.reshape(shape) - out, out)
    return out


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
            special.gammaln(nn + 1.0)
            - special.gammaln(kk + 1.0)
            - special.gammaln(nn - kk + 1.0)
            + kk * np.log(pp)
            + (nn - kk) * np.log1p(-pp)
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
        out[idx] = _search_from_zero(
            us[None], lambda rows: (np.exp(-ls)[None], (ls[None],), None), _poisson_ratio
        )[0]
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
