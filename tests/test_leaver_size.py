"""The leavers' MRR against the average account's (cssim.data.leaver_size): exact on a hand-made table,
against the closed form when churn falls with account size, and said in the calibration's words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import cssim
from cssim.data.leaver_size import leaver_size
from cssim.reporting.calibration_report import render_report
from cssim.reporting.widening_report import leaver_section, leaver_text


def test_hand_made_table_gives_the_exact_ratio():
    """20 accounts at 100 and 20 at 300; 10 of the small ones leave: the average is 200, each leaver
    paid half of it."""
    M = np.zeros((40, 2))
    M[:20, 0], M[20:, 0] = 100.0, 300.0
    M[10:, 1] = M[10:, 0]
    lv = leaver_size(M)
    assert lv.departures == 10
    assert lv.ratio == pytest.approx(0.5)
    assert lv.se == pytest.approx(0.0)
    assert lv.differs
    assert leaver_size(M[:, :1]) is None  # no month to leave in


def _size_dependent(accounts, months, slope, seed, churn=0.03):
    """Lognormal account sizes (log-sd 1) whose monthly churn is ``churn x (size / median)^-slope``."""
    rng = np.random.default_rng(seed)
    size = np.exp(rng.normal(0.0, 1.0, accounts)) * 100.0
    alive = np.ones(accounts, bool)
    M = np.zeros((accounts, months))
    for t in range(months):
        M[alive, t] = size[alive]
        alive &= rng.random(accounts) >= np.minimum(churn * (size / 100.0) ** -slope, 1.0)
    return M


def test_accounts_that_grow_with_tenure_are_not_mistaken_for_small_leavers():
    """Every account joins at 100 and grows 3% a month; churn is 10% a month in the first three months
    of tenure and 1% after, whatever the size. Against all active customers the leavers look small
    (young accounts are small and leave more); against their own cohort they are exactly average."""
    rng = np.random.default_rng(0)
    T, per = 36, 200
    blocks = []
    for join in range(T):
        m, alive = np.zeros((per, T)), np.ones(per, bool)
        for t in range(join, T):
            tenure = t - join
            if tenure:
                alive &= rng.random(per) >= (0.10 if tenure <= 3 else 0.01)
            m[alive, t] = 100 * 1.03**tenure
        blocks.append(m)
    lv = leaver_size(np.vstack(blocks))
    assert lv.departures > 2000
    assert lv.ratio == pytest.approx(1.0) and not lv.differs


def test_churn_falling_with_size_is_measured_against_its_closed_form():
    r"""One month of churn with hazard :math:`c\,s^{-b}` on lognormal sizes (log-sd :math:`\sigma`):
    :math:`E[s\,h(s)] / (E[s]\,E[h(s)]) = e^{-b \sigma^2}`; size-independent churn gives 1."""
    for slope, truth in ((0.5, math.exp(-0.5)), (0.0, 1.0)):
        M = _size_dependent(200_000, 2, slope, seed=7)
        lv = leaver_size(M)
        assert lv.departures > 3000
        # the sample mean of sizes stands in for E[s]: its error is far below the leavers' SE
        assert abs(lv.ratio - truth) <= 4 * lv.se
        assert lv.differs == (slope > 0)


def _calibrated(slope: float):
    M = _size_dependent(4000, 24, slope, seed=3)
    months = pd.period_range("2024-01", periods=24, freq="M").astype(str)
    i, t = np.nonzero(M)
    frame = pd.DataFrame({"customer": [f"C{k}" for k in i], "month": months[t], "mrr": M[i, t]})
    # one segment asked for: unasked, leavers this different would be calibrated by size band
    return cssim.calibrate(frame, source="sizes.csv", widen=False, size_bands=1)


def test_the_calibration_writes_smaller_leavers_into_churn_and_says_so_in_both_languages():
    cal = _calibrated(0.5)
    lv = cal.fits.leavers
    assert lv.ratio < 0.8 and lv.differs
    # churn.leaver_mrr: the measured ratio with its standard error (a lognormal of that mean and sd)
    written = cal.scenario.segments[0].churn.leaver_mrr
    assert written.model_dump() == {"kind": "lognormal", "mean": lv.ratio, "sd": lv.se}
    assert "the scenario's churn takes that MRR with them (churn.leaver_mrr)" in (
        cal.scenario.description
    )
    en, ja = leaver_section(cal, "en"), leaver_section(cal, "ja")
    assert en["heading"] == "The size of the customers who leave"
    assert ja["heading"] == "解約する顧客の規模"
    assert en["paragraphs"] == [leaver_text(cal, "en")]
    assert "smaller accounts leave more often" in en["paragraphs"][0]
    assert "takes that into account (churn.leaver_mrr)" in en["paragraphs"][0]
    assert f"1 - (1 - f)^{lv.ratio:.2f}" in en["paragraphs"][0]
    assert (
        "織り込んでいます" in ja["paragraphs"][0]
        and "小さな顧客ほど解約しやすく" in ja["paragraphs"][0]
    )
    page = render_report(cal, "en")
    assert "The size of the customers who leave" in page and "smaller accounts leave" in page


def test_larger_leavers_make_it_lean_high_in_both_languages():
    """Churn rising with size (``c s^{0.3}``): leavers are larger than their cohort's average."""
    cal = _calibrated(-0.3)
    assert cal.fits.leavers.ratio > 1.1 and cal.fits.leavers.differs
    assert cal.scenario.segments[0].churn.leaver_mrr.mean == cal.fits.leavers.ratio
    assert "larger accounts leave more often" in leaver_text(cal, "en")
    ja = leaver_text(cal, "ja")
    assert "織り込んでいます" in ja and "大きな顧客ほど解約しやすく" in ja


def test_size_independent_churn_says_nothing():
    frame = cssim.data.synthetic.synthetic_mrr(24, 2000, seed=2, churn=0.03, new_per_month=40.0)
    cal = cssim.calibrate(frame, source="plain.csv", widen=False)
    assert cal.fits.leavers is not None and not cal.fits.leavers.differs
    assert leaver_text(cal, "en") is None and leaver_section(cal, "en") is None
    # measured and written all the same, close to 1: churn about blind to size, as the data say
    assert cal.scenario.segments[0].churn.leaver_mrr.mean == pytest.approx(1.0, abs=0.1)
    assert cal.bands == () and not cal.bands_auto  # nothing to band by, unasked
