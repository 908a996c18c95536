"""Acquisition forms averaged by their held-out weights (cssim.data.acquisition_fit, issue 20): a rate
as the growing count it implies, the forms' disagreement as spread, and one form alone when it is sure."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cssim.data.acquisition_fit import (
    SURE,
    _acquisition,
    _as_growing_count,
    _fit_form,
    _projected_base,
)
from cssim.data.form_choice import mix_normals


def test_a_rate_is_the_count_it_implies_growing_as_its_base():
    """New customers m N_t on a base losing c a month, exactly: next month m N_T new customers, and
    the base (so the count) grows by 1 + m - c a month."""
    m, c, T = 0.02, 0.03, 36
    N = 1000.0 * (1 + m - c) ** np.arange(T + 1)
    new = np.r_[np.nan, m * N[:-1]]
    n, base = new[1:], N[:-1]
    fit = _fit_form("rate", n, base, {})
    assert fit.monthly_rate == pytest.approx(m)
    mu, cov = _as_growing_count(fit, n, base, N[-1])
    assert mu[0] == pytest.approx(math.log(m * N[-1]))
    assert mu[1] == pytest.approx(math.log1p(m - c))
    assert np.all(np.linalg.eigvalsh(cov) >= -1e-15)


def test_a_rate_is_scored_on_the_base_it_would_have_forecast():
    """On an exact base ``N_{t+1} = N_t (1 + m - c)`` the projection from any origin, knowing only the
    months before it, is the base that came; on a base that turns, it is not."""
    m, c, T = 0.02, 0.03, 36
    N = 1000.0 * (1 + m - c) ** np.arange(T + 1)
    n, base = m * N[:-1], N[:-1]
    fit = _fit_form("rate", n, base, {})
    for origin in (6, 12, 24, 33):
        np.testing.assert_allclose(_projected_base(fit, n[:origin], base, origin, T), base[origin:])
    turned = base.copy()
    turned[20:] *= 1.1 ** np.arange(1, T - 19)  # the base grows 10% a month after month 20
    ahead = _projected_base(fit, n[:12], turned, 12, T)
    assert ahead[-1] < turned[-1] / 2  # the future growth was not known at month 12


def test_forms_that_disagree_are_averaged_with_their_disagreement_as_spread():
    """A steady count of 30 a month beside a base that grows 0.5% a month: the held-out months favour
    the count (about 94%) over a rate, not to 95%, so the forms are averaged; the average sits between
    them and its growth is less certain than the forms' own uncertainty averaged."""
    rng = np.random.default_rng(3)
    T = 37
    N = 1000.0 * 1.005 ** np.arange(T)
    new = np.r_[np.nan, rng.poisson(30.0, T - 1)].astype(float)
    fit = _acquisition(new, N)
    assert max(fit.weights.values()) < SURE
    assert fit.model == "count_growth" and "averaged by weight" in fit.chosen_by
    n, base = new[1:], N[:-1]
    parts = [
        (w, *_as_growing_count(_fit_form(f, n, base, {}), n, base, N[-1]))
        for f, w in fit.weights.items()
    ]
    mu, cov = mix_normals(parts)
    assert math.log(fit.count) == pytest.approx(mu[0])
    assert math.log1p(fit.growth) == pytest.approx(mu[1])
    np.testing.assert_allclose(fit.covariance, cov, rtol=1e-12, atol=1e-15)
    growths = [p[1][1] for p in parts]
    assert min(growths) < mu[1] < max(growths)
    within = sum(w * S[1, 1] for w, _, S in parts) / sum(w for w, _, _ in parts)
    assert cov[1, 1] > within  # the forms' disagreement is added to their own uncertainty


def test_a_form_the_holdout_is_sure_of_is_used_alone():
    """Counts growing 2% a month on a shrinking base: only the growing count follows them."""
    rng = np.random.default_rng(5)
    T = 37
    new = np.r_[np.nan, rng.poisson(30 * 1.02 ** np.arange(T - 1))].astype(float)
    fit = _acquisition(new, 2000 * 0.97 ** np.arange(T))
    assert fit.weights["count_growth"] >= SURE
    assert "averaged" not in fit.chosen_by


def test_a_calibrated_growth_fades_by_the_prior_and_says_so():
    """A file whose new customers grow 2% a month: the scenario keeps the fitted growth for next month
    and lets it fade by the prior (a business's growth endurance carried over to its new customers by
    the fitted growth and churn, written as a prior), so 36 months out the expected new customers are
    below the fitted growth carried on unchanged, and above no growth at all."""
    import cssim
    from cssim.data.growth_endurance import inflow_endurance
    from cssim.data.synthetic import synthetic_mrr

    frame = synthetic_mrr(37, 600, churn=0.02, new_per_month=30.0, growth=0.02, seed=4)
    cal = cssim.calibrate(frame, source="growing.csv", widen=False)
    seg = cal.scenario.segments[0]
    assert cal.acquisition.model == "count_growth"
    written = seg.acquisition.endurance.model_dump()
    prior = inflow_endurance(cal.acquisition.growth, cal.fits.churn.churn)
    assert {k: written[k] for k in prior} == prior
    assert 0.3 < prior["mode"] < 0.6  # 2% a month against 2% churn: the base's 80% is about 0.47
    assert (
        f"each year it keeps a share between {prior['low']:.0%} and 100%, most likely "
        f"{prior['mode']:.0%}" in cal.scenario.description
    )
    from cssim.model.edits import replace

    lasting = replace(cal.scenario, {"segments[0].acquisition.endurance": 1.0})
    new = cssim.expected(cal.scenario)["new_customers"].to_numpy()
    old = cssim.expected(lasting)["new_customers"].to_numpy()
    assert new[1] == pytest.approx(old[1], rel=1e-12)  # next month: the fitted growth, unfaded
    assert new[13] < old[13] and new[36] < 0.9 * old[36]
    assert new[36] > new[1]  # faded, not stopped
    # the calibration page says it, in both languages, with the prior's median share
    from cssim.reporting.widening_report import widening_section

    en, ja = (str(widening_section(cal, lang)) for lang in ("en", "ja"))
    from scipy import stats

    # PERT(low, mode, 1) is beta(1 + 4 (mode - low) / w, 1 + 4 (1 - mode) / w) on [low, 1], w = 1 - low
    lo, mo = prior["low"], prior["mode"]
    w = 1 - lo
    pert_median = stats.beta(1 + 4 * (mo - lo) / w, 1 + 4 * (1 - mo) / w, loc=lo, scale=w).median()
    share = f"{pert_median:.0%}"
    assert seg.acquisition.endurance.median() == pytest.approx(pert_median, rel=1e-9)
    assert "let fade" in en and f"keeps about {share} of it each year" in en
    assert "keeps about 80% of its growth rate a year (Bessemer's growth endurance)" in en
    assert "弱まるもの" in ja and f"前の年のおよそ {share} になります" in ja
    assert "1 年で前年のおよそ 80% に鈍化します" in ja
    # set to 1 in the scenario, the page no longer says it
    from dataclasses import replace as with_field

    assert "let fade" not in str(widening_section(with_field(cal, scenario=lasting), "en"))


def test_the_command_sets_the_growth_endurance_and_refuses_one_outside_0_to_1(tmp_path, capsys):
    import cssim
    from cssim.cli import main
    from cssim.data.synthetic import synthetic_mrr

    path = tmp_path / "growing.csv"
    synthetic_mrr(37, 600, churn=0.02, new_per_month=30.0, growth=0.02, seed=4).to_csv(
        path, index=False
    )
    out, report = tmp_path / "s.yaml", tmp_path / "report"
    args = ["calibrate", str(path), "--out", str(out), "--no-widen"]
    assert main([*args, "--growth-endurance", "0.6", "--report", str(report)]) == 0
    s = cssim.load_scenario(out)
    assert s.segments[0].acquisition.endurance == 0.6
    assert "each year it keeps 60% of itself (acquisition.endurance, as asked)" in s.description
    page = (report / "calibration.html").read_text(encoding="utf-8")
    assert "the forecast keeps 60% of it each year" in page and "as set when calibrating" in page
    assert main([*args, "--growth-endurance", "1"]) == 0
    s = cssim.load_scenario(out)
    assert s.segments[0].acquisition.endurance == 1.0
    assert "carries on unchanged (acquisition.endurance 1, as asked)" in s.description
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main([*args, "--growth-endurance", "1.5", "--lang", "ja"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "1.5" in err and "0 以上 1 以下の数" in err and "Traceback" not in err


def test_the_backtest_of_a_calibration_uses_its_growth_endurance(monkeypatch):
    """--backtest refits on the months before its holdout with the same growth endurance (and
    forms) as the scenario written: it judges the forecast the user gets."""
    import cssim
    import cssim.data.fit_table as fit_table
    from cssim.data.synthetic import synthetic_mrr

    seen = []
    real = fit_table.calibrate_table

    def spy(*args, **kwargs):
        seen.append(kwargs.get("growth_endurance", "absent"))
        return real(*args, **kwargs)

    monkeypatch.setattr(fit_table, "calibrate_table", spy)
    frame = synthetic_mrr(37, 400, churn=0.02, new_per_month=20.0, growth=0.02, seed=4)
    cssim.calibrate(frame, source="g.csv", widen=False, growth_endurance=1.0, backtest_months=12)
    assert seen and all(e == 1.0 for e in seen), seen


def test_a_growth_endurance_with_no_growth_to_fade_is_said_unused():
    import cssim
    from cssim.data.synthetic import synthetic_mrr

    frame = synthetic_mrr(37, 400, churn=0.02, new_per_month=20.0, growth=0.02, seed=4)
    rated = cssim.calibrate(
        frame, source="r.csv", widen=False, forms={"acquisition": "rate"}, growth_endurance=0.5
    )
    assert rated.scenario.segments[0].acquisition.rate is not None
    assert "No growth of new customers to fade: growth_endurance is not used." in (
        rated.scenario.description
    )
