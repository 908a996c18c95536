"""Tier 3: invariants that hold on every path, and the expected path against the Monte Carlo mean."""

from __future__ import annotations

import numpy as np
import pytest

import cssim
from tests.helpers import assert_mc_close, three_segments


@pytest.fixture(scope="module")
def result():
    return cssim.simulate(three_segments(), paths=3000, seed=21)


def test_shapes_and_month_zero(result):
    s = result.scenario
    assert result["customers"].shape == (3000, 37)
    assert (result["customers"][:, 0] == 800 + 200 + 40).all()
    assert result["mrr"][:, 0] == pytest.approx(800 * 30_000 + 200 * 150_000 + 40 * 200 * 2_500)
    assert result.segments == ["SMB", "Mid", "Enterprise"] == s.segment_names
    for m in ("new_customers", "churned_customers", "expansion_mrr", "churned_mrr"):
        assert (result[m][:, 0] == 0).all()


def test_no_negative_counts_or_money(result):
    for seg in [*result.segments, "total"]:
        for m in (
            "customers",
            "new_customers",
            "churned_customers",
            "mrr",
            "new_mrr",
            "expansion_mrr",
            "contraction_mrr",
            "churned_mrr",
            "crc",
            "cac_spend",
        ):
            assert np.nanmin(result.get(m, seg)) >= 0, (m, seg)


def test_retention_within_bounds(result):
    for seg in [*result.segments, "total"]:
        grr = result.get("grr", seg)[:, 12:]
        assert np.nanmin(grr) >= 0 and np.nanmax(grr) <= 1 + 1e-6, seg
        assert np.nanmin(result.get("nrr", seg)[:, 12:]) >= 0
        assert np.nanmax(result.get("logo_churn_rate", seg)[:, 1:]) <= 1


def test_customer_and_mrr_movements_add_up(result):
    for seg in [*result.segments, "total"]:
        c = result.get("customers", seg)
        assert (
            np.diff(c, axis=1)
            == result.get("new_customers", seg)[:, 1:] - result.get("churned_customers", seg)[:, 1:]
        ).all(), seg
        mrr = result.get("mrr", seg)
        movement = result.get("net_new_mrr", seg)[:, 1:]
        # stored in float32: agreement to storage precision
        np.testing.assert_allclose(
            np.diff(mrr, axis=1), movement, rtol=0, atol=2e-6 * mrr.max(), err_msg=seg
        )


def test_segments_add_up_to_total(result):
    for m in ("customers", "mrr", "new_mrr", "churned_mrr", "crc", "gross_profit"):
        parts = sum(result.get(m, s) for s in result.segments)
        np.testing.assert_allclose(result[m], parts, rtol=1e-9)


def test_expected_path_agrees_with_the_monte_carlo_mean():
    s = three_segments()
    r = cssim.simulate(s, paths=4000, seed=22)
    for seg in [*r.segments, "total"]:
        e = cssim.expected(s, segment=seg)
        for t in (1, 12, 36):
            for m in ("customers", "mrr", "new_customers", "churned_mrr", "expansion_mrr"):
                assert_mc_close(r.get(m, seg)[:, t], e[m][t])


def test_expected_matches_closed_forms_exactly():
    s = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
    e = cssim.expected(s)
    m = 1.2 ** (1 / 12) - 1
    t = np.arange(37)
    np.testing.assert_allclose(e["customers"], 1000 * (1 + m - 0.03) ** t, rtol=1e-12)
    np.testing.assert_allclose(e["nrr"][12:], 0.97**12, rtol=1e-12)
    np.testing.assert_allclose(e["mrr"], 50_000 * e["customers"], rtol=1e-12)
