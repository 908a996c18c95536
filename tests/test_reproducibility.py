"""Reproducibility: the same scenario, seed and paths give bit-identical numbers however work is split."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import cssim
from cssim.model.randomness import BLOCK_PATHS
from cssim.model.stored import STORED
from tests.helpers import one_segment, three_segments


def _same(a, b):
    for seg in a.segments:
        for m in STORED:
            np.testing.assert_array_equal(a._stored[seg][m], b._stored[seg][m], err_msg=(seg, m))


def test_same_seed_same_numbers():
    s = three_segments(horizon=24)
    _same(cssim.simulate(s, paths=1500, seed=3), cssim.simulate(s, paths=1500, seed=3))


def test_different_seed_different_numbers():
    s = three_segments(horizon=24)
    a = cssim.simulate(s, paths=1500, seed=3)["customers"]
    b = cssim.simulate(s, paths=1500, seed=4)["customers"]
    assert not np.array_equal(a, b)


def test_seed_zero_is_a_seed():
    s = one_segment(horizon=6)
    a = cssim.simulate(s, paths=200, seed=0)
    b = cssim.simulate(s, paths=200, seed=0)
    _same(a, b)
    assert a.seed == 0


def test_process_pool_gives_identical_numbers():
    s = three_segments(horizon=24)
    local = cssim.simulate(s, paths=2500, seed=5)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = cssim.simulate(s, paths=2500, seed=5, executor=pool)
    _same(local, parallel)


def test_jobs_give_identical_numbers_full_and_summary():
    s = three_segments(horizon=24)
    _same(cssim.simulate(s, paths=2500, seed=5), cssim.simulate(s, paths=2500, seed=5, jobs=2))
    a = cssim.simulate(s, paths=2500, seed=5, summary=True)
    b = cssim.simulate(s, paths=2500, seed=5, summary=True, jobs=2)
    assert a.summary().equals(b.summary())
    assert a.quantiles(["arr", "customers"]).equals(b.quantiles(["arr", "customers"]))


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_jobs_are_refused(bad):
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        cssim.simulate(one_segment(horizon=6), paths=10, jobs=bad)


def test_first_block_of_a_larger_run_is_the_smaller_run():
    s = three_segments(horizon=12)
    big = cssim.simulate(s, paths=2 * BLOCK_PATHS + 17, seed=8)
    small = cssim.simulate(s, paths=BLOCK_PATHS, seed=8)
    np.testing.assert_array_equal(big["mrr"][:BLOCK_PATHS], small["mrr"])


def test_none_seed_is_recorded_and_reproduces():
    s = one_segment(horizon=6)
    a = cssim.simulate(s, paths=300, seed=None)
    _same(a, cssim.simulate(s, paths=300, seed=a.seed))


@pytest.mark.parametrize("bad", [-1, 1.5, "42", True])
def test_bad_seed_is_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        cssim.simulate(one_segment(horizon=3), paths=10, seed=bad)


def test_common_random_numbers_couple_scenarios():
    """On the same seed, a small change in churn moves every path a little instead of resampling it."""
    a = one_segment(horizon=24, churn={"monthly": 0.030})
    b = one_segment(horizon=24, churn={"monthly": 0.031})
    ra, rb = cssim.simulate(a, paths=3000, seed=1), cssim.simulate(b, paths=3000, seed=1)
    rind = cssim.simulate(b, paths=3000, seed=2)
    paired = rb["customers"][:, 24] - ra["customers"][:, 24]
    independent = rind["customers"][:, 24] - ra["customers"][:, 24]
    assert np.corrcoef(ra["customers"][:, 24], rb["customers"][:, 24])[0, 1] > 0.95
    assert paired.std() < 0.25 * independent.std()
    # the paired difference is centred on the expected difference
    m = 1.2 ** (1 / 12) - 1
    exact = 1000 * ((1 + m - 0.031) ** 24 - (1 + m - 0.030) ** 24)
    se = paired.std(ddof=1) / np.sqrt(paired.size)
    assert abs(paired.mean() - exact) < 4 * se


def test_golden_values():
    """Seeded regression values for the default scenario (recorded from this engine; the closed-form
    tests say they are right, this says they have not changed)."""
    s = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
    r = cssim.simulate(s, paths=1000, seed=42)
    assert int(r["customers"][:, 36].sum()) == GOLDEN_CUSTOMERS_36
    assert int(r["churned_customers"][:, 1:].sum()) == GOLDEN_CHURNED
    assert int(r["new_customers"][:, 1:].sum()) == GOLDEN_NEW


GOLDEN_CUSTOMERS_36 = 587_091  # mean 587.091; closed form 1000 (1 + m - c)^36 = 586.97
GOLDEN_CHURNED = 844_262
GOLDEN_NEW = 431_353


def test_translated_twins_draw_the_same_numbers():
    """The English and Japanese defaults differ only in their words: their paths are identical."""
    en = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
    ja = cssim.load_scenario("scenarios/ja/growth-vs-churn.yaml")
    assert en.segment_names != ja.segment_names
    a, b = cssim.simulate(en, paths=1000, seed=3), cssim.simulate(ja, paths=1000, seed=3)
    for metric in ("customers", "mrr", "churned_mrr", "new_customers"):
        np.testing.assert_array_equal(a[metric], b[metric])


def _two_segments(first: str, second: str, ids: tuple[str, str] | None = None) -> cssim.Scenario:
    segments = []
    for i, (name, churn) in enumerate(
        ((first, {"kind": "beta", "mean": 0.03, "sd": 0.01}), (second, 0.02))
    ):
        seg = {
            "name": name,
            "customers": 300 + 100 * i,
            "arpa": 10_000,
            "acquisition": {"rate": 0.2},
            "churn": {"monthly": churn},
        }
        if ids is not None:
            seg["id"] = ids[i]
        segments.append(seg)
    return cssim.Scenario.from_dict({"name": "two", "horizon_months": 12, "segments": segments})


def test_renaming_keeps_the_random_numbers_and_an_id_survives_reordering():
    base = cssim.simulate(_two_segments("SMB", "Enterprise"), paths=500, seed=9)
    renamed = cssim.simulate(_two_segments("中小企業", "大企業"), paths=500, seed=9)
    np.testing.assert_array_equal(base["customers", "SMB"], renamed["customers", "中小企業"])
    np.testing.assert_array_equal(base.parameters().iloc[:, 0], renamed.parameters().iloc[:, 0])
    # reordered without ids: the streams follow the position, so the segments swap streams
    swapped = _two_segments("SMB", "Enterprise").model_dump(mode="json", exclude_none=True)
    swapped["segments"].reverse()
    moved = cssim.simulate(cssim.Scenario.from_dict(swapped), paths=500, seed=9)
    assert not np.array_equal(base["customers", "SMB"], moved["customers", "SMB"])
    # with ids the streams follow the id wherever the segment stands
    keyed = _two_segments("SMB", "Enterprise", ids=("smb", "ent"))
    data = keyed.model_dump(mode="json", exclude_none=True)
    data["segments"].reverse()
    a = cssim.simulate(keyed, paths=500, seed=9)
    b = cssim.simulate(cssim.Scenario.from_dict(data), paths=500, seed=9)
    np.testing.assert_array_equal(a["customers", "SMB"], b["customers", "SMB"])
    np.testing.assert_array_equal(a["mrr", "Enterprise"], b["mrr", "Enterprise"])
