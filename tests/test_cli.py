"""The ``cssim`` command line: the real CLI in a subprocess, plus what it passes to the API."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

import cssim
from cssim import cli
from cssim.model.metrics import METRICS
from cssim.runs import single

SUMMARY_COLUMNS = [
    "kpi",
    "label",
    "unit",
    "month",
    "mean",
    "median",
    "p10",
    "p90",
    "mc_se",
    "median_se",
]


def cssim_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m cssim.cli ARGS`` the way a user would; never a traceback on stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "cssim.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


# -- the real command in a subprocess --------------------------------------------------------------


def test_validate_ok(small_scenario_path, tmp_path):
    proc = cssim_cli("validate", small_scenario_path, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"ok: {small_scenario_path} (Small, 1 segment)"


def test_validate_reports_every_bad_file_and_exits_2(small_scenario_path, tmp_path):
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(small_scenario_path.read_text().replace("monthly: 0.03", "monthly: 1.5"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: Broken\nsegments: [\n  - name: x\n")
    missing = tmp_path / "missing.yaml"

    proc = cssim_cli("validate", small_scenario_path, invalid, broken, missing, cwd=tmp_path)

    assert proc.returncode == 2
    assert f"ok: {small_scenario_path}" in proc.stdout
    err = proc.stderr
    assert str(invalid) in err and "segments[0].churn.monthly" in err and "1.5" in err
    assert str(broken) in err
    assert f"{missing}: (document): no such file" in err


def test_run_with_jobs_writes_the_same_tables(small_scenario_path, tmp_path):
    args = ["run", small_scenario_path, "--paths", "2500", "--seed", "7", "--no-summary"]
    one = cssim_cli(*args, "--out", tmp_path / "one", cwd=tmp_path)
    two = cssim_cli(*args, "--out", tmp_path / "two", "--jobs", "2", cwd=tmp_path)
    assert one.returncode == 0 and two.returncode == 0, (one.stderr, two.stderr)
    for name in ("summary.csv", "quantiles.csv", "unit_economics.csv"):
        assert (tmp_path / "one" / "small" / name).read_bytes() == (
            tmp_path / "two" / "small" / name
        ).read_bytes(), name
    both = cssim_cli(*args, "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1", cwd=tmp_path)
    assert both.returncode == 2 and "--jobs" in both.stderr and "Traceback" not in both.stderr
    # batch and sweep refuse the pair the same way (they used to drop --jobs without a word)
    batch = cssim_cli(
        "batch",
        args[1],
        "--out",
        tmp_path / "b",
        "--jobs",
        "2",
        "--scheduler",
        "tcp://x:1",
        cwd=tmp_path,
    )
    assert batch.returncode == 2 and "not allowed with argument --jobs" in batch.stderr


def test_run_missing_file_exits_2(tmp_path):
    proc = cssim_cli("run", tmp_path / "nope.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope.yaml" in proc.stderr and "no such file" in proc.stderr
    assert not (tmp_path / "reports").exists()


def test_run_writes_four_csvs_and_prints_kpis(small_scenario_path, tmp_path):
    out = tmp_path / "out"
    proc = cssim_cli(
        "run",
        small_scenario_path,
        "--out",
        out,
        "--paths",
        "2000",
        "--seed",
        "7",
        "--months",
        "12,24",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    folder = out / "small"
    assert sorted(p.name for p in folder.iterdir()) == [
        "expected.csv",
        "quantiles.csv",
        "summary.csv",
        "unit_economics.csv",
    ]  # no temp files left
    assert "ARR" in proc.stdout and "month 24" in proc.stdout and str(folder) in proc.stdout

    summary = pd.read_csv(folder / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert sorted(summary["month"].unique()) == [12, 24]
    # no parameter uncertainty: the customer mean matches MODEL.md's closed form within 4 MC errors
    m = 1.2 ** (1 / 12) - 1
    for t in (12, 24):
        row = summary[(summary["kpi"] == "customers") & (summary["month"] == t)].iloc[0]
        assert abs(row["mean"] - 200 * (1 + m - 0.03) ** t) < 4 * row["mc_se"]
        assert row["p10"] <= row["median"] <= row["p90"]

    quantiles = pd.read_csv(folder / "quantiles.csv")
    assert list(quantiles.columns) == ["metric", "segment", "month", "p10", "p50", "p90"]
    assert set(quantiles["metric"]) == set(METRICS)
    assert len(quantiles) == len(METRICS) * 25
    start = quantiles[(quantiles["metric"] == "arr") & (quantiles["month"] == 0)].iloc[0]
    assert start["p10"] == start["p90"] == 12 * 200 * 10_000

    economics = pd.read_csv(folder / "unit_economics.csv")
    assert {"segment", "kpi", "month", "median", "p10", "p90"} <= set(economics.columns)
    ltv_cac = economics.set_index("kpi").loc["ltv_cac"]
    assert ltv_cac["month"] == 24 and 0 < ltv_cac["median"] < 100

    exp = pd.read_csv(folder / "expected.csv", index_col="month")
    assert list(exp.index) == list(range(25))
    assert exp.loc[12, "customers"] == pytest.approx(200 * (1 + m - 0.03) ** 12, rel=1e-6)
    assert exp.loc[0, "arr"] == 12 * 200 * 10_000


def test_schema_prints_json_schema(tmp_path):
    proc = cssim_cli("schema", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert "segments" in schema["properties"]
    assert "segments" in schema["required"]


def test_bad_paths_exits_2_with_a_clear_message(small_scenario_path, tmp_path):
    proc = cssim_cli("run", small_scenario_path, "--paths", "0", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--paths" in proc.stderr and "1 or more" in proc.stderr
    assert not (tmp_path / "reports").exists()


# -- in process: arguments, error paths and what reaches the API -----------------------------------


@pytest.fixture
def simulate_calls(monkeypatch):
    """Replace the ``simulate`` that ``cssim run`` calls (:func:`cssim.runs.single.run_scenario`'s) with
    a recorder that runs a tiny real simulation."""
    calls = []
    real = single.simulate

    def fake(scenario, paths=10_000, seed=42, **kwargs):
        calls.append({"scenario": scenario, "paths": paths, "seed": seed, **kwargs})
        return real(scenario, paths=20, seed=seed)

    monkeypatch.setattr(single, "simulate", fake)
    return calls


def test_run_passes_arguments_to_simulate(simulate_calls, small_scenario_path, tmp_path):
    code = cli.main(
        [
            "run",
            str(small_scenario_path),
            "--out",
            str(tmp_path / "o"),
            "--paths",
            "123",
            "--seed",
            "0",
        ]
    )
    assert code == 0
    [call] = simulate_calls
    assert call["scenario"] == cssim.load_scenario(small_scenario_path)
    assert call["paths"] == 123
    assert call["seed"] == 0  # 0 is a seed, not "no seed"
    assert call["progress"] is False  # stderr is not a terminal here


def test_run_defaults_and_progress_on_a_terminal(
    simulate_calls, small_scenario_path, tmp_path, monkeypatch
):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert cli.main(["run", str(small_scenario_path)]) == 0
    [call] = simulate_calls
    assert (call["paths"], call["seed"], call["progress"]) == (10_000, 42, True)
    assert (tmp_path / "reports" / "small" / "summary.csv").exists()


@pytest.mark.parametrize(
    "option, value",
    [
        ("--paths", "0"),
        ("--paths", "-3"),
        ("--paths", "2.5"),
        ("--paths", "many"),
        ("--seed", "-1"),
        ("--seed", "x"),
        ("--months", "12,a"),
    ],
)
def test_bad_numbers_exit_2(option, value, small_scenario_path, simulate_calls, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", str(small_scenario_path), option, value])
    assert exc.value.code == 2
    assert option in capsys.readouterr().err
    assert simulate_calls == []


def test_months_after_the_horizon_exit_2(small_scenario_path, simulate_calls, capsys, tmp_path):
    code = cli.main(["run", str(small_scenario_path), "--months", "12,36", "--out", str(tmp_path)])
    assert code == 2
    assert "36" in capsys.readouterr().err
    assert simulate_calls == []


def test_a_failed_simulation_exits_1_without_traceback(
    monkeypatch, small_scenario_path, capsys, tmp_path
):
    def boom(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(single, "simulate", boom)
    assert cli.main(["run", str(small_scenario_path), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cssim: ") and "failed: out of memory" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"cssim {cssim.__version__}"


def test_commands_come_from_the_registry():
    assert set(cli.COMMANDS) == {
        "validate",
        "run",
        "schema",
        "report",
        "batch",
        "sweep",
        "calibrate",
        "backtest",
        "levers",
        "compare",
        "cs-plan",
        "sensitivity",
    }
    parser_help = cli.build_parser().format_help()
    assert all(name in parser_help for name in cli.COMMANDS)


# -- report: delegated to cssim.reporting.report.render_report (faked here; report tests run the real one) --


class ReportError(Exception):
    pass


@pytest.fixture
def fake_report(monkeypatch):
    calls = []
    module = types.ModuleType("cssim.reporting.report")
    module.ReportError = ReportError

    def render_report(scenario_path, **kwargs):
        calls.append({"scenario_path": scenario_path, **kwargs})
        if kwargs.get("seed") == 13:
            raise ReportError("the notebook failed in cell 4: ZeroDivisionError")
        if kwargs.get("seed") == 14:
            raise ValueError("paths must be at most 1,000,000")
        return Path(kwargs["out_dir"]) / "small.html"

    module.render_report = render_report
    monkeypatch.setitem(sys.modules, "cssim.reporting.report", module)
    return calls


def test_report_passes_arguments(fake_report, small_scenario_path, tmp_path, capsys):
    code = cli.main(
        [
            "report",
            str(small_scenario_path),
            "--out",
            str(tmp_path),
            "--paths",
            "500",
            "--seed",
            "0",
            "--target-arr",
            "3e7",
        ]
    )
    assert code == 0
    assert fake_report == [
        {
            "scenario_path": small_scenario_path,
            "out_dir": tmp_path,
            "paths": 500,
            "seed": 0,
            "target_arr": 3e7,
            "lang": None,
            "name": "small",
        }
    ]
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'small.html'}"


def test_report_defaults(fake_report, small_scenario_path):
    assert cli.main(["report", str(small_scenario_path)]) == 0
    [call] = fake_report
    assert (call["out_dir"], call["paths"], call["seed"], call["target_arr"]) == (
        Path("reports"),
        10_000,
        42,
        None,
    )


def test_report_failure_exits_1(fake_report, small_scenario_path, capsys):
    assert cli.main(["report", str(small_scenario_path), "--seed", "13"]) == 1
    err = capsys.readouterr().err
    assert "cssim: report for" in err and "cell 4: ZeroDivisionError" in err


def test_report_parameter_refused_by_render_report_exits_2(
    fake_report, small_scenario_path, capsys
):
    assert cli.main(["report", str(small_scenario_path), "--seed", "14"]) == 2
    assert "cssim report: paths must be at most 1,000,000" in capsys.readouterr().err


def test_report_bad_scenario_exits_2_before_rendering(fake_report, tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "none.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert fake_report == []


@pytest.mark.parametrize("value", ["0", "-1", "abc", "inf", "nan"])
def test_report_bad_target_arr_exits_2(value, fake_report, small_scenario_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(["report", str(small_scenario_path), "--target-arr", value])
    assert exc.value.code == 2


def test_more_jobs_than_cpus_are_capped_and_said(tmp_path):
    """--jobs past the CPUs this process may use only makes processes wait for each other (issue 21:
    30 processes on 2 cores ran 2.4 times slower than 2): capped, and the run says so."""
    import os

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    CLI = (sys.executable, "-m", "cssim.cli")
    more = ("--paths", "200", "--jobs", str(cpus + 30))
    out = subprocess.run(
        [*CLI, "run", "scenarios/growth-vs-churn.yaml", "--out", str(tmp_path), *more],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert f"--jobs {cpus + 30} is more than the {cpus} CPU" in out.stderr, out.stderr


def test_one_path_says_standard_errors_cannot_be_estimated(tmp_path, capsys):
    code = cli.main(
        ["run", "scenarios/growth-vs-churn.yaml", "--out", str(tmp_path), "--paths", "1"]
    )
    assert code == cli.OK
    assert "standard errors cannot be estimated" in capsys.readouterr().err
    summary = pd.read_csv(tmp_path / "growth-vs-churn" / "summary.csv")
    assert summary[["mc_se", "median_se"]].isna().all().all()
