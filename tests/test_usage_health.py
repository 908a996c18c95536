"""Usage data to usage states (issue 19, item 5): ``cssim calibrate BILLING --usage USAGE.csv`` recovers a
known state process, writes a segment ``health:`` the engine runs, and says what the data cannot say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import cssim
from cssim import cli
from cssim.data.calibrate import CalibrationError, calibrate
from cssim.data.synthetic import synthetic_usage
from cssim.data.usage import parse_bands

P = np.array([[0.90, 0.08, 0.02], [0.15, 0.75, 0.10], [0.05, 0.15, 0.80]])
CHURN = np.array([0.01, 0.03, 0.08])
NEW = np.array([0.5, 0.4, 0.1])


@pytest.fixture(scope="module")
def known():
    billing, usage = synthetic_usage(
        months=24, customers=3000, transitions=P, churn=CHURN, new=NEW, seed=7
    )
    return billing, usage, calibrate(billing, usage=usage)


def test_the_transitions_are_recovered_within_four_standard_errors(known):
    fit = known[2].health
    assert fit.names == ("healthy", "at risk", "dormant")
    n = fit.transitions.sum(axis=1, keepdims=True)
    z = (fit.transition_mean() - P) / np.sqrt(P * (1 - P) / n)
    assert np.abs(z).max() < 4, z.round(2)
    assert n.min() > 3000  # enough moves that the check means something


def test_churn_by_state_is_recovered_and_inside_its_interval(known):
    fit = known[2].health
    se = np.sqrt(CHURN * (1 - CHURN) / fit.at_risk_months)
    z = (fit.churn_by_state - CHURN) / se
    assert np.abs(z).max() < 4, z.round(2)
    lo, hi = fit.multiplier_interval(0.9999)
    truth = CHURN / fit.pooled_churn
    assert np.all((lo <= truth) & (truth <= hi)), (lo, truth, hi)
    # dormant accounts churn 8 times as often as healthy ones in the process
    assert fit.churn_by_state[2] / fit.churn_by_state[0] == pytest.approx(8, rel=0.25)


def test_the_shares_are_those_of_the_last_month_and_of_first_months(known):
    _billing, usage, cal = known
    fit = cal.health
    last = usage[usage["month"] == usage["month"].max()]
    counts = np.array(
        [
            (last.usage >= 0.6).sum(),
            ((last.usage >= 0.2) & (last.usage < 0.6)).sum(),
            (last.usage < 0.2).sum(),
        ]
    )
    np.testing.assert_allclose(fit.start, counts / counts.sum(), atol=1e-6)
    assert fit.new_from_joiners
    joiners = int(usage.groupby("customer")["month"].min().gt(usage["month"].min()).sum())
    z = (fit.new - NEW) / np.sqrt(NEW * (1 - NEW) / joiners)
    assert np.abs(z).max() < 4, z.round(2)


def test_the_scenario_carries_the_fit_and_runs(known):
    cal = known[2]
    seg = cal.scenario.segments[0]
    assert [s.name for s in seg.health.states] == ["healthy", "at risk", "dormant"]
    assert (
        seg.health.transitions["dormant"]["healthy"].kind == "beta"
    )  # a Dirichlet row, as marginals
    assert not getattr(seg.cs, "response", None)  # the effect of CS is never taken from these data
    again = cssim.Scenario.from_dict(yaml.safe_load(cal.to_yaml()))
    r = cssim.simulate(again, paths=200, seed=1)
    risk = np.asarray(r["arr_at_risk_share"], dtype=float)
    assert np.isfinite(risk).all() and 0 < risk[:, 0].mean() < 1


def test_the_cli_reads_japanese_files_prints_the_fit_and_writes_the_report(tmp_path, capsys):
    billing, usage = synthetic_usage(months=18, customers=800, seed=3)
    b = billing.rename(columns={"customer": "顧客ID", "month": "年月", "mrr": "月額"})
    u = usage.rename(columns={"customer": "顧客ID", "month": "年月", "usage": "利用率"})
    b.to_csv(tmp_path / "請求.csv", index=False, encoding="cp932")
    u.to_csv(tmp_path / "利用.csv", index=False, encoding="cp932")
    args = [
        "--lang",
        "ja",
        "calibrate",
        str(tmp_path / "請求.csv"),
        "--usage",
        str(tmp_path / "利用.csv"),
    ]
    assert (
        cli.main([*args, "--out", str(tmp_path / "s.yaml"), "--report", str(tmp_path / "r")]) == 0
    )
    out = capsys.readouterr().out
    assert "文字コード CP932" in out and "利用率による状態：休眠<0.2、要注意<0.6、健全" in out, out
    assert "休眠の顧客は健全の顧客の" in out and "推定できません" in out, out
    sc = cssim.load_scenario(tmp_path / "s.yaml")
    assert [s.name for s in sc.segments[0].health.states] == ["健全", "要注意", "休眠"]
    html = (tmp_path / "r" / "calibration.html").read_text(encoding="utf-8")
    assert "利用状態: 月ごとの移り変わり" in html and "ファイルの読み込み結果" in html
    assert "推定できません" in html


def test_counts_and_state_labels_read_too(tmp_path):
    billing, usage = synthetic_usage(months=12, customers=500, seed=5)
    counts = usage.assign(usage=np.round(usage["usage"] * 40))
    a = calibrate(billing, usage=counts, usage_max=40).health
    labels = usage.assign(
        state=np.where(usage.usage >= 0.6, "good", np.where(usage.usage >= 0.2, "watch", "asleep"))
    ).drop(columns="usage")
    b = calibrate(billing, usage=labels, states="asleep<0.2,watch<0.6,good").health
    assert b.names == ("good", "watch", "asleep")
    shares = calibrate(billing, usage=usage).health
    np.testing.assert_array_equal(b.transitions, shares.transitions)  # same states, same counts
    assert a.transitions.sum() == shares.transitions.sum()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda u: u.assign(usage=u.usage.astype(object).where(u.index != 4, 1.5)),
            ["usage is above 1 in row 6 ('1.5')", "--usage-max"],
        ),
        (
            lambda u: u.assign(usage=u.usage.astype(object).where(u.index != 2, "abc")),
            ["usage is not a number in row 4 ('abc')"],
        ),
        (lambda u: pd.concat([u, u.iloc[[0]]]), ["two rows for one month (row 2, row"]),
        (lambda u: u.rename(columns={"usage": "x"}), ["missing: usage or state"]),
        (
            lambda u: u.assign(customer="Z" + u.customer),
            ["no customer and month of the usage file"],
        ),
    ],
)
def test_bad_usage_files_are_clear_errors(tmp_path, capsys, change, words):
    billing, usage = synthetic_usage(months=6, customers=50, seed=2)
    billing.to_csv(tmp_path / "b.csv", index=False)
    change(usage).to_csv(tmp_path / "u.csv", index=False)
    args = ["calibrate", str(tmp_path / "b.csv"), "--usage", str(tmp_path / "u.csv")]
    assert cli.main([*args, "--out", str(tmp_path / "s.yaml")]) == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert "u.csv" in err and all(w in err for w in words) and "Traceback" not in err, err
    assert not (tmp_path / "s.yaml").exists()


def test_thresholds_are_checked():
    assert parse_bands("休眠<0.1、要注意<0.5、健全").below == (0.1, 0.5)
    assert parse_bands("a<0.2,b").names == ("a", "b")
    for bad in ("healthy", "a<0.6,b<0.2,c", "a<x,b", "a<0.2,b<0.5", "a<1.5,b", "a<0.2,a"):
        with pytest.raises(ValueError, match="states"):
            parse_bands(bad)
    with pytest.raises(CalibrationError, match="states"):
        billing, usage = synthetic_usage(months=6, customers=50, seed=2)
        calibrate(billing, usage=usage, states="a<0.6,b<0.2,c")
