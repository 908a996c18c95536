"""``--lang ja|en`` on the command line: summaries and errors in the reader's language, English default."""

from __future__ import annotations

import pytest

from cssim import cli

BAD = "name: x\nsegments:\n  - name: a\n    customers: -1\n"


@pytest.fixture(autouse=True)
def _english_again():
    yield
    cli._LANG[0] = "en"


def test_every_command_takes_lang():
    parser = cli.build_parser()
    for name in cli.COMMANDS:
        args = parser.parse_args([name, *_required(name), "--lang", "ja"])
        assert args.lang == "ja", name


def _required(name: str) -> list[str]:
    return {
        "validate": ["x.yaml"],
        "run": ["x.yaml"],
        "report": ["x.yaml"],
        "batch": ["x.yaml", "--out", "o"],
        "sweep": ["x.yaml", "--vary", "churn.monthly=0.01:0.02:2", "--out", "o"],
        "calibrate": ["d.csv", "--out", "s.yaml"],
        "compare": ["a.yaml", "b.yaml", "--out", "o"],
        "levers": ["x.yaml"],
        "backtest": ["d.csv", "--holdout", "6"],
    }.get(name, [])


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "ja",
            [
                "問題が 3 件あります",
                "-1 は使えません: 0 以上にしてください",
                "必須の項目です",
                "4行目",
            ],
        ),
        ("en", ["3 problems", "-1 is not allowed: must be at least 0", "this field is required"]),
    ],
)
def test_scenario_errors_in_the_chosen_language(tmp_path, capsys, lang, words):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    assert cli.main(["validate", str(bad), "--lang", lang]) == cli.BAD_INPUT
    err = capsys.readouterr().err
    for w in words:
        assert w in err, (w, err)
    assert "Traceback" not in err


def test_run_summary_in_japanese(tmp_path, capsys):
    run = ["run", "scenarios/growth-vs-churn.yaml", "--paths", "200", "--out", str(tmp_path)]
    code = cli.main([*run, "--lang", "ja"])
    assert code == cli.OK
    out = capsys.readouterr().out
    assert "KPI(中央値)" in out and "億円" in out and "12か月目" in out and "書き出しました" in out
    assert "e+0" not in out
