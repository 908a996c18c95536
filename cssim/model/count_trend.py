r"""Expected new customers of a ``count`` acquisition, month by month: a growth that may fade.

A count n growing by g a month, whose growth keeps the share p of itself each year (its
*endurance*), expects in month t (t = 1 for the first simulated month)

.. math:: \lambda_t = n \prod_{k=1}^{t-1} \big(1 + g\,\varphi^{k-1}\big), \qquad \varphi = p^{1/12},

so the month-on-month growth is g now and p g a year later: Gardner & McKenzie's (1985) damped trend of
the new customers a month, with an annual persistence p (a calibration writes it from Bessemer's growth
endurance of the whole business, :mod:`cssim.data.growth_endurance`). With p = 1 the growth never fades and :math:`\lambda_t = n (1 + g)^{t-1}` (computed as
exactly that, so scenarios without an endurance give the numbers they always gave). As t grows,
:math:`\lambda_t` tends to :math:`n \prod_{k \ge 0} (1 + g \varphi^k)`: a fading growth levels off.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CountTrend"]


class CountTrend:
    """Expected new customers of month ``t`` for parameters drawn per path (or numbers).

    Parameters
    ----------
    count, growth, endurance
        n, g and p of the formula above, each a number or an array over paths (broadcast together).
    horizon
        The last month asked for.
    """

    def __init__(self, count, growth, endurance, horizon: int) -> None:
        self.count = np.asarray(count, dtype=np.float64)
        self.growth = 1.0 + np.asarray(growth, dtype=np.float64)
        p = np.asarray(endurance, dtype=np.float64)
        self.table = None
        if np.any(p != 1.0):
            g, p = np.broadcast_arrays(self.growth - 1.0, p)
            phi = p ** (1.0 / 12.0)
            k = np.arange(max(horizon - 1, 0), dtype=np.float64).reshape((-1,) + (1,) * g.ndim)
            table = np.ones((max(horizon, 1) + 1, *g.shape))
            # table[t] = prod_{k=1}^{t-1} (1 + g phi^(k-1)), t = 1..horizon
            table[2:] = np.cumprod(1.0 + g * phi**k, axis=0)
            self.table = table

    def __call__(self, t: int) -> np.ndarray:
        """:math:`\\lambda_t`, the expected new customers of month ``t`` (``t >= 1``)."""
        if self.table is None:
            return self.count * self.growth ** (t - 1)
        return self.count * self.table[t]

    def path(self, horizon: int) -> np.ndarray:
        """:math:`\\lambda_1 .. \\lambda_{horizon}` stacked on a new first axis."""
        return np.stack([self(t) for t in range(1, horizon + 1)])
