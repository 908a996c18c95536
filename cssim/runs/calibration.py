"""``cssim calibrate``: fit a scenario to a billing export, write it and, if asked, its report."""

from __future__ import annotations

import sys

from ..data.backtest import BACKTEST_METRICS
from ..data.calibrate import backtest, calibrate
from ..model.errors import ScenarioError
from ..reporting.backtest_report import write_backtest
from ..reporting.calibration_report import write_report
from ..words.errors_text import scenario_error_text
from ..words.formatting import display_width, percent
from ..words.i18n import Translator

__all__ = ["backtest_cli", "calibrate_cli"]


def calibrate_cli(
    data_path,
    out_path,
    report_dir=None,
    *,
    horizon_months: int = 36,
    currency: str = "JPY",
    backtest_months: int = 0,
    lang: str = "en",
) -> int:
    """``cssim calibrate DATA.csv --out SCENARIO.yaml [--report DIR]``: 0 ok, 2 bad data, 1 failed.

    Prints what it wrote on stdout and any error as one message on stderr (never a traceback).
    """
    try:
        cal = calibrate(
            data_path,
            horizon_months=horizon_months,
            currency=currency,
            backtest_months=backtest_months,
        )
    except ScenarioError as e:
        print(scenario_error_text(e, lang), file=sys.stderr)
        return 2
    _ = Translator(lang)
    try:
        out = cal.write_scenario(out_path)
        print(_("wrote {files}", files=out))
        if report_dir is not None:
            print(_("wrote {files}", files=write_report(cal, report_dir, lang)))
    except OSError as e:
        print(
            _(
                "cssim: {command} failed: cannot write {file}: {error}",
                command="calibrate",
                file=e.filename or "",
                error=e.strerror,
            ),
            file=sys.stderr,
        )
        return 1
    return 0


def backtest_cli(
    data_path, holdout: int, out_dir=None, *, paths: int = 2000, seed: int = 0, lang: str = "en"
) -> int:
    """``cssim backtest DATA.csv --holdout N [--out DIR]``: 0 ok, 2 bad data, 1 failed to write.

    Prints the coverage and bias per metric; with ``--out`` writes ``DIR/backtest.html`` (the chart
    embedded) and ``DIR/backtest.png``.
    """
    try:
        bt = backtest(data_path, holdout=holdout, paths=paths, seed=seed)
    except ScenarioError as e:
        print(scenario_error_text(e, lang), file=sys.stderr)
        return 2
    _ = Translator(lang)
    print(
        _(
            "backtest of {source}: fitted to {cutoff}, {months} months held out",
            source=bt.source,
            cutoff=bt.cutoff,
            months=bt.holdout,
        )
    )
    names = {m: _(label) for m, label in BACKTEST_METRICS.items()}
    width = max(display_width(n) for n in names.values())
    for metric, r in bt.summary.iterrows():
        name = names.get(metric, metric)
        print(
            "  "
            + name
            + " " * (width - display_width(name) + 1)
            + _(
                "{inside_80} of months in P10-P90, {inside_90} in P5-P95, bias {bias} "
                "(last month {bias_last})",
                inside_80=percent(r.inside_80, lang, 0).rjust(4),
                inside_90=percent(r.inside_90, lang, 0).rjust(4),
                bias=percent(r.bias, lang, 1, sign=True),
                bias_last=percent(r.bias_last, lang, 1, sign=True),
            )
        )
    if out_dir is not None:
        try:
            for path in write_backtest(bt, out_dir, lang):
                print(Translator(lang)("wrote {files}", files=path))
        except OSError as e:
            print(
                Translator(lang)(
                    "cssim: {command} failed: cannot write {file}: {error}",
                    command="backtest",
                    file=e.filename or "",
                    error=e.strerror,
                ),
                file=sys.stderr,
            )
            return 1
    return 0
