"""``--lang ja|en`` on the command line: summaries and errors in the reader's language, English default."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

import pytest

from cssim import cli
from cssim.words.formatting import display_width

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
        "cs-plan": ["x.yaml", "--csms", "2,4", "--out", "o"],
        "sensitivity": ["x.yaml"],
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


# -- --help in the chosen language --------------------------------------------------------------------

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _help(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != cli.LANG_ENV}
    environ.update({"COLUMNS": "80", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "cssim.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--lang", "ja", "run", "--help"], None),
        (["run", "--lang", "ja", "--help"], None),
        (["run", "--lang=ja", "--help"], None),
        (["run", "--help"], {"CSSIM_LANG": "ja"}),
    ],
)
def test_run_help_in_japanese(args, env):
    out = _help(*args, env=env)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for words in (
        "使い方: cssim run",
        "位置引数:",
        "オプション:",
        "このヘルプを表示して終了します",
    ):
        assert words in text, (words, text)
    assert "シナリオのYAMLファイル" in text and "乱数のシード" in text
    for english in ("usage:", "options:", "positional arguments", "show this help", "random seed"):
        assert english not in text, english
    assert all(display_width(line) <= 80 for line in text.splitlines()), text


def test_english_help_stays_english():
    out = _help("run", "--help")
    assert out.returncode == 0
    assert out.stdout.startswith("usage: cssim run") and "options:" in out.stdout
    assert "random seed, 0 or more" in out.stdout and not JAPANESE.search(out.stdout)
    top = _help("--help")
    assert "positional arguments:" in top.stdout and not JAPANESE.search(top.stdout)


def test_every_help_text_has_japanese():
    """Each command's description and every argument's help reads Japanese in the Japanese parser."""
    parser = cli.build_parser("ja")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert JAPANESE.search(parser.description) and JAPANESE.search(parser.epilog)
    for name, p in sub.choices.items():
        assert JAPANESE.search(p.description), name
        for action in p._actions:
            assert JAPANESE.search(action.help), (name, action.option_strings, action.help)
    # argparse's own words are back to English once the Japanese parser is built
    assert cli.build_parser("en").format_help().startswith("usage: cssim")


def test_argparse_errors_in_japanese(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--lang", "ja", "run"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "cssim run: エラー: 次の引数が必要です: scenario" in err
    assert argparse._("usage: ") == "usage: "  # restored for everyone else in the process


def test_lang_before_the_command_reaches_it(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    assert cli.main(["--lang", "ja", "validate", str(bad)]) == cli.BAD_INPUT
    assert "問題が 3 件あります" in capsys.readouterr().err


def test_a_bad_language_in_the_environment_is_refused(capsys, monkeypatch):
    monkeypatch.setenv(cli.LANG_ENV, "fr")
    assert cli.main(["schema"]) == cli.BAD_INPUT
    assert "CSSIM_LANG='fr' is not one of en, ja" in capsys.readouterr().err


@pytest.mark.parametrize("width", [20, 40, 56])
def test_wide_text_wraps_by_terminal_columns(width):
    text = cli.Translator("ja").translations.gettext(cli._LANG_HELP)
    lines = cli.wrap_wide(text, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(
        display_width(line) <= width + 2 for line in lines
    )  # + a closing mark kept on the line
    assert not any(line[0] in "、。)" for line in lines)


# -- errors with values, in Japanese ------------------------------------------------------------------

SEGMENT = (
    "segments:\n  - name: SMB\n    customers: 100\n    arpa: 30000\n    churn: {monthly: 0.02}\n"
)
BAD_SCENARIOS = {
    "ranges": BAD,
    "unknown field": "name: x\nhorizon_month: 12\n" + SEGMENT,
    "percent as text": SEGMENT.replace("0.02", "'2%'") + "name: x\n",
    "language": "name: x\nlanguage: fr\n" + SEGMENT,
    "octal": "name: x\nhorizon_months: 036\n" + SEGMENT,
    "date": "name: x\ndescription: 2024-01-01\n" + SEGMENT,
    "twice": "name: x\nname: y\n" + SEGMENT,
    "kind": "name: x\n" + SEGMENT.replace("{monthly: 0.02}", "{monthly: {kind: gauss, mean: 1}}"),
    "interval": "name: x\n" + SEGMENT.replace("0.02", "[0.01, 0.02, 0.03]"),
    "yes": "name: x\n" + SEGMENT.replace("customers: 100", "customers: yes"),
    "empty mapping": "name: x\n" + SEGMENT.replace("customers: 100", "customers: !!map {}"),
    "both prices": "name: x\n" + SEGMENT + "    seats: {per_account: 5, price: 10}\n",
    "empty": "",
    "syntax": "name: [x\n" + SEGMENT,
    "segments": "name: x\nsegments: SMB\n",
    "horizon": "name: x\nhorizon_months: 500\n" + SEGMENT,
    "beta": "name: x\n"
    + SEGMENT.replace("{monthly: 0.02}", "{monthly: {kind: beta, mean: 0.5, sd: 0.9}}"),
}


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_scenario_errors_in_japanese_name_file_field_and_value(tmp_path, capsys, case):
    from cssim.model.errors import ScenarioError
    from cssim.model.scenario import load_scenario

    from .helpers import english_left, shown_parts

    path = tmp_path / f"{case.replace(' ', '-')}.yaml"
    path.write_text(BAD_SCENARIOS[case], encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert cli.main(["validate", str(path), "--lang", "ja"]) == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert JAPANESE.search(err) and "Traceback" not in err
    names = shown_parts(info.value)
    assert not english_left(err, names), (english_left(err, names), err)
    for name in names:  # the file, each field path and each value, as the English error shows them
        assert name in err, (name, err)
    lines = [p.line for p in info.value.problems if p.line is not None]
    assert all(f"{n}行目" in err for n in lines), err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "S", "--paths", "x"], "引数 --paths: 'x' は整数ではありません"),
        (["run", "S", "--paths", "0"], "引数 --paths: 0 は使えません: 1以上の数を指定してください"),
        (
            ["run", "S", "--months", "99", "--paths", "10"],
            "--months 99 は S の期間(36か月)より後です",
        ),
        (
            ["sweep", "S", "--vary", "churn.monthly=a:b", "--out", "O"],
            "--vary 'churn.monthly=a:b': 値は LOW:HIGH:STEPS か a,b,c の形の数値にしてください",
        ),
        (
            ["sweep", "S", "--vary", "segments.NOPE.churn.monthly=0.01,0.02", "--out", "O"],
            "segments.NOPE.churn.monthly: 'NOPE' という名前のセグメント",
        ),
        (["compare", "S", "--out", "O"], "シナリオを2つ以上指定してください"),
        (["run", "S", "--paths", "1000000000"], "パス数は 1,000,000 までにしてください"),
    ],
)
def test_command_line_errors_in_japanese(tmp_path, capsys, args, says):
    scenario = "scenarios/growth-vs-churn.yaml"
    args = [scenario if a == "S" else str(tmp_path) if a == "O" else a for a in args]
    try:
        code = cli.main(["--lang", "ja", *args])
    except SystemExit as e:  # argparse's own exit
        code = e.code
    assert code == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert says.replace(" S ", f" {scenario} ") in err, err
    assert "Traceback" not in err


def test_billing_export_errors_in_japanese(tmp_path, capsys):
    from .helpers import english_left

    data = tmp_path / "mrr.csv"
    data.write_text("customer,month,mrr\na,2024-01,10\n,2024-13,abc\nb,2024-02,-5\na,2024-01,3\n")
    out = tmp_path / "s.yaml"
    assert cli.main(["calibrate", str(data), "--out", str(out), "--lang", "ja"]) == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert f"{data}: 問題が" in err and "3行目" in err and "'abc'" in err, err
    assert not english_left(err, [str(data)]), err


# -- the scenario's language: when no --lang nor $CSSIM_LANG is given (issue 21) --------------------------

JA = (
    "language: ja\nname: 日本語のシナリオ\nhorizon_months: 12\nsegments:\n  - name: 全顧客\n"
    "    customers: 200\n    arpa: 50000\n    acquisition: {rate: 0.2}\n"
    "    churn: {monthly: 0.03}\n"
)
EN = (
    JA.replace("language: ja\n", "").replace("日本語のシナリオ", "English").replace("全顧客", "All")
)


@pytest.fixture()
def no_env_lang(monkeypatch):
    monkeypatch.delenv(cli.LANG_ENV, raising=False)


def _file(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_japanese_scenario_is_validated_in_japanese(tmp_path, capsys, no_env_lang):
    bad = _file(tmp_path, "bad.yaml", JA.replace("customers: 200", "customers: -1"))
    assert cli.main(["validate", bad]) == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert "-1 は使えません: 0 以上にしてください" in err, err
    assert cli.main(["run", bad, "--out", str(tmp_path)]) == cli.BAD_INPUT
    assert "は使えません" in capsys.readouterr().err
    broken = _file(tmp_path, "broken.yaml", JA + "  - name: [x\n")  # not YAML: read by its line
    assert cli.main(["validate", broken]) == cli.BAD_INPUT
    assert "YAML として読めません" in capsys.readouterr().err


def test_a_japanese_scenario_runs_in_japanese(tmp_path, capsys, no_env_lang):
    ja = _file(tmp_path, "ja.yaml", JA)
    assert cli.main(["run", ja, "--paths", "100", "--out", str(tmp_path)]) == cli.OK
    out = capsys.readouterr().out
    assert "KPI(中央値)" in out and "書き出しました" in out, out


def test_levers_sweep_and_compare_of_japanese_scenarios_speak_japanese(
    tmp_path, capsys, no_env_lang
):
    ja = _file(tmp_path, "ja.yaml", JA)
    ja2 = _file(tmp_path, "ja2.yaml", JA.replace("0.03", "0.02"))
    assert cli.main(["levers", ja, "--paths", "60", "--out", str(tmp_path / "lv")]) == cli.OK
    out = capsys.readouterr().out
    assert "<LeverResult" not in out and JAPANESE.search(out), out
    page = (tmp_path / "lv" / "ja" / "levers.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in page
    vary = ["--vary", "churn.monthly=0.01,0.02"]
    assert cli.main(["sweep", ja, *vary, "--paths", "60", "--out", str(tmp_path / "sw")]) == 0
    assert '<html lang="ja">' in (tmp_path / "sw" / "sweep.html").read_text(encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["compare", ja, ja2, "--paths", "60", "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "<Comparison" not in out and JAPANESE.search(out), out
    assert '<html lang="ja">' in (tmp_path / "c" / "compare.html").read_text(encoding="utf-8")


def test_the_environment_and_the_flag_win_over_the_scenario(tmp_path, capsys, monkeypatch):
    bad = _file(tmp_path, "bad.yaml", JA.replace("customers: 200", "customers: -1"))
    monkeypatch.setenv(cli.LANG_ENV, "en")
    assert cli.main(["validate", bad]) == cli.BAD_INPUT
    assert "-1 is not allowed" in capsys.readouterr().err
    monkeypatch.delenv(cli.LANG_ENV)
    assert cli.main(["validate", bad, "--lang", "en"]) == cli.BAD_INPUT
    assert "-1 is not allowed" in capsys.readouterr().err


def test_scenarios_of_different_languages_are_spoken_of_in_english(tmp_path, capsys, no_env_lang):
    ja = _file(tmp_path, "ja.yaml", JA.replace("customers: 200", "customers: -1"))
    en = _file(tmp_path, "en.yaml", EN.replace("customers: 200", "customers: -1"))
    assert cli.main(["validate", ja, en]) == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert "is not allowed" in err and "は使えません" not in err, err
    ja2 = _file(tmp_path, "ja2.yaml", JA.replace("customers: 200", "customers: -2"))
    assert cli.main(["validate", ja, ja2]) == cli.BAD_INPUT
    assert "は使えません" in capsys.readouterr().err


def test_compare_and_levers_print_their_result_in_the_chosen_language(tmp_path, capsys):
    en = _file(tmp_path, "en.yaml", EN)
    en2 = _file(tmp_path, "en2.yaml", EN.replace("0.03", "0.02"))
    assert cli.main(["--lang", "ja", "levers", en, "--paths", "60", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "<LeverResult" not in out and "打ち手の効果" in out, out
    args = ["--lang", "ja", "compare", en, en2, "--paths", "60", "--out", str(tmp_path / "c")]
    assert cli.main(args) == cli.OK
    out = capsys.readouterr().out
    assert "<Comparison" not in out and "共通の乱数" in out, out


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_help_page_prints_in_both_languages(lang, capsys):
    """A translated help with its own percent sign (``NRR 100%``, ``利用率 100%``) once crashed argparse,
    which formats help with %: the top-level help and every command's help print and exit 0."""
    for args in ([], *([name] for name in cli.COMMANDS)):
        with pytest.raises(SystemExit) as e:
            cli.main(["--lang", lang, *args, "--help"])
        assert e.value.code == 0, args
        out = capsys.readouterr().out
        assert "usage" in out or "使い方" in out, (args, out[:200])
    with pytest.raises(SystemExit):
        cli.main(["--lang", "ja", "calibrate", "--help"])
    out = capsys.readouterr().out
    assert "ファイルの読み方" in out and "利用状態" in out and "100%" in out
