r"""How long a fitted growth of new customers lasts: the prior a calibration writes as
``acquisition.endurance`` (:mod:`cssim.model.count_trend`), a prior, not a fit.

A company's own months rarely show whether its growth will last, and a growth fitted on them,
extrapolated for three years, is the forecast most likely to run away. Across companies growth
fades: Bessemer's "growth endurance", this year's growth rate *of the business* (ARR) over last
year's, has a median near 80% across cloud companies (State of the Cloud 2021), some keep all of it
and some far less; and damped trends (Gardner & McKenzie 1985) forecast better out of sample than
trends carried on unchanged. :data:`BASE_ENDURANCE` is that prior: PERT on [0.5, 1], mode 0.8.

That endurance is the customer base's; a scenario's endurance is that of the *new customers a
month*, the inflow, whose growth fades faster. A base of :math:`N` customers growing by the share
:math:`r` a year while losing the share :math:`c` takes in :math:`A_y = N_{y-1} (r_y + c)` a year.
If the base's growth keeps the share :math:`e` of itself (:math:`r_{y+1} = e\, r_y`) and the inflow
grew with the base, :math:`r_y = r`, the inflow's growth :math:`A_{y+1} / A_y - 1` keeps

.. math:: p(e) = \frac{(1 + r)(e r + c) - (r + c)}{r\,(r + c)}
               = \frac{e\,(1 + r) - (1 - c)}{r + c}

of itself: :math:`p(1) = 1`, and :math:`p(e) < e` for every :math:`e < 1`. For a base growing 20% a
year that loses 30% a year, the base's 80% is the inflow's 52%. :func:`inflow_endurance` maps the
prior's three points through :math:`p` (a line in :math:`e`, so a PERT maps to a PERT), each held
within [0, 1]: a :math:`p` below 0 (an inflow whose growth reverses) is taken as 0, a growth that
stops; the PERT written is then wider than the exact image of the base's. Only the first year is
exact: the count's growth then fades geometrically (each year by :math:`p`), so the base keeps 0.82 of
its growth in the second year and 0.74-0.77 in the third for :math:`e = 0.8`. A fitted decline of new
customers keeps :data:`BASE_ENDURANCE` as it is.
"""

from __future__ import annotations

import math

__all__ = ["BASE_ENDURANCE", "inflow_endurance"]

#: The share of its growth rate a business keeps each year: Bessemer's growth endurance, as a prior
#: (PERT on [0.5, 1] with mode 0.8: mean 0.78, 90% of draws between about 0.6 and 0.93).
BASE_ENDURANCE = {"kind": "pert", "low": 0.5, "mode": 0.8, "high": 1.0}

#: Below this annual r + c (new customers a year as a share of the base) the map is not used.
_MIN_INFLOW = 0.01


def inflow_endurance(growth: float, churn: float) -> dict:
    r"""The endurance of a count of new customers whose base keeps :data:`BASE_ENDURANCE` of its growth.

    Parameters
    ----------
    growth
        The fitted monthly growth g of new customers a month; :math:`r = (1 + g)^{12} - 1`.
    churn
        The monthly churn m of the base; :math:`c = 1 - (1 - m)^{12}`.

    Returns
    -------
    dict
        ``PERT(p(0.5), p(0.8), p(1) = 1)`` with :math:`p(e) = (e (1 + r) - (1 - c)) / (r + c)` held
        within [0, 1]. :data:`BASE_ENDURANCE` itself when g is 0 or below (a decline in new
        customers: Bessemer's endurance is measured on growing companies, and the map would stop most
        of a decline within a year, an optimistic forecast) or the inflow is too small to say (r + c
        below 1%).
    """
    prior = dict(BASE_ENDURANCE)
    r = (1.0 + growth) ** 12 - 1.0
    c = 1.0 - (1.0 - churn) ** 12
    # a decline is not what Bessemer's figure describes (growing companies): the base prior as it is
    if not growth > 0.0 or not math.isfinite(r + c) or r + c < _MIN_INFLOW:
        return prior

    def p(e: float) -> float:  # rounded as the scenario writes it
        return round(min(1.0, max(0.0, (e * (1.0 + r) - (1.0 - c)) / (r + c))), 3)

    # p is increasing with p(1) = 1, so the points keep their order and the high stays above the low
    return {**prior, "low": p(prior["low"]), "mode": p(prior["mode"]), "high": p(prior["high"])}
