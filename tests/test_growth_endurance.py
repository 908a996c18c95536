"""The prior a calibration writes for how long a growth of new customers lasts
(:mod:`cssim.data.growth_endurance`): a business's growth endurance carried over to its inflow."""

import numpy as np
import pytest

import cssim
from cssim.data.growth_endurance import BASE_ENDURANCE, inflow_endurance
from tests.helpers import one_segment


def test_the_inflow_keeps_less_of_its_growth_than_the_base():
    """p(e) = (e (1 + r) - (1 - c)) / (r + c): a base growing 20% a year that loses 30% a year keeps
    80% of its growth, and its new customers a month keep 52% of theirs; p(1) = 1."""
    g = 1.2 ** (1 / 12) - 1
    m = 1 - 0.7 ** (1 / 12)
    p = inflow_endurance(g, m)
    assert p["kind"] == "pert"
    assert p["mode"] == pytest.approx((0.8 * 1.2 - 0.7) / 0.5, abs=5e-4)  # 0.52
    assert p["high"] == 1.0
    assert p["low"] == 0.0  # (0.5 x 1.2 - 0.7) / 0.5 < 0: a growth that stops
    # a base growing fast against little churn keeps more; the order is kept
    fast = inflow_endurance(0.10, 0.001)  # r = 214% a year: p(0.5) = 0.27, p(0.8) = 0.71
    assert 0 < fast["low"] < 0.5 and p["mode"] < fast["mode"] < 0.8


def test_no_growth_a_decline_or_no_inflow_keeps_the_base_prior():
    assert inflow_endurance(0.0, 0.02) == BASE_ENDURANCE
    assert inflow_endurance(0.0005, 0.0) == BASE_ENDURANCE  # r + c below 1%: nothing to map
    # a decline of new customers keeps the base prior: mapped, it would stop within a year
    assert inflow_endurance(-0.005, 0.02) == BASE_ENDURANCE


@pytest.mark.parametrize(("g", "m"), [(0.015, 0.03), (0.01, 0.02), (0.02, 0.01)])
def test_the_mapped_endurance_makes_the_base_keep_80_percent_in_cssims_engine(g, m):
    """The defining property, in cssim's own expected path: a base in steady growth (new customers
    growing with it) whose inflow keeps p(0.8) of its growth grows, in its second year, by 80% of its
    first year's growth. The map is exact for the year as a whole, the engine month by month, so
    within 0.03."""
    n0 = 1000 * ((1 + g) - (1 - m))  # the inflow that keeps a base of 1,000 growing by g a month
    p = inflow_endurance(g, m)["mode"]
    s = one_segment(
        horizon=24,
        churn={"monthly": m},
        acquisition={"count": n0, "growth": g, "endurance": p},
    )
    c = cssim.expected(s)["customers"].to_numpy()
    first, second = c[12] / c[0] - 1, c[24] / c[12] - 1
    assert second / first == pytest.approx(0.8, abs=0.03)
    # and the base's own 80% on the inflow would have kept more of the growth than that
    s80 = one_segment(
        horizon=24,
        churn={"monthly": m},
        acquisition={"count": n0, "growth": g, "endurance": 0.8},
    )
    c80 = cssim.expected(s80)["customers"].to_numpy()
    assert (c80[24] / c80[12] - 1) / (c80[12] / c80[0] - 1) > 0.85
    assert np.all(np.diff(c) > 0)
