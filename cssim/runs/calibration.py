"""``cssim calibrate``: fit a scenario to a billing export, write it and, if asked, its report."""

from __future__ import annotations

import sys
from pathlib import Path

from ..data.backtest import BACKTEST_METRICS
from ..data.calibrate import backtest, calibrate
from ..model.errors import ScenarioError
from ..reporting.backtest_report import write_backtest
from ..reporting.calibration_report import write_report
from ..words.errors_text import scenario_error_text
from ..words.formatting import count, display_width, percent
from ..words.i18n import Translator

__all__ = ["backtest_cli", "calibrate_cli"]


def calibrate_cli(
    data_path,
    out_path,
    report_dir=None,
    *,
    horizon_months: int = 36,
    backtest_months: int = 0,
    lang: str = "en",
    read_options: dict | None = None,
    usage=None,
    usage_max: float | None = None,
    states: str | None = None,
    widen: bool = True,
    size_bands: int | None = None,
    growth_endurance: float | None = None,
) -> int:
    """``cssim calibrate DATA.csv --out SCENARIO.yaml [--report DIR] [--usage USAGE.csv]``: 0 ok, 2 bad data, 1 failed.

    Prints how the file was read (its provenance) and what it wrote on stdout, and any error as one
    message on stderr (never a traceback). ``read_options`` go to the reader (``format``,
    ``encoding``, ``currency`` ...; :func:`cssim.data.intake.read_billing`).
    """
    if usage is not None and states is None:
        from ..data.usage import DEFAULT_BANDS

        # state names in the reader's language
        states = DEFAULT_BANDS.get(lang, DEFAULT_BANDS["en"])
    names = {}
    if lang == "ja":  # a Japanese user's scenario has a Japanese name and segment, and says ja
        names = {"name": f"{Path(data_path).name} から推定", "segment": "全顧客", "language": "ja"}
    try:
        cal = calibrate(
            data_path,
            horizon_months=horizon_months,
            backtest_months=backtest_months,
            **names,
            usage=usage,
            usage_max=usage_max,
            states=states,
            widen=widen,
            size_bands=size_bands,
            growth_endurance=growth_endurance,
            **(read_options or {}),
        )
    except ScenarioError as e:
        print(scenario_error_text(e, lang), file=sys.stderr)
        return 2
    _ = Translator(lang)
    _print_provenance(cal.provenance, lang)
    if cal.bands_auto:
        print(
            _(
                "calibrated in {n} size bands: the customers who left paid {ratio} of their "
                "cohort's average MRR (--size-bands 1 keeps one segment)",
                n=len(cal.bands),
                ratio=percent(cal.fits.leavers.ratio, lang, 0),
            )
        )
    for band, part in cal.bands:
        print(
            _(
                "size band {name}: {customers} customers at the end",
                name=band,
                customers=count(part.fits.start.customers, lang),
            )
        )
        _print_widening(part.widening, lang, indent="  ")
    _print_widening(cal.widening, lang)
    if cal.health is not None:
        from ..reporting.health_fit_text import health_fit_lines

        for line in health_fit_lines(cal, lang):
            print(line)
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


def _print_widening(w, lang: str, indent: str = "") -> None:
    """The widening, said, never hidden."""
    if w is None:
        return
    _ = Translator(lang)
    print(
        indent
        + _(
            "bands widened x{factor}: the company's past forecasts held {before} of what "
            "happened in P10-P90, {after} after",
            factor=f"{w.factor:g}",
            before=percent(w.coverage_before, lang, 0),
            after=percent(w.coverage_after, lang, 0),
        )
    )


def _print_provenance(provenance, lang: str) -> None:
    """How the file was read, first, so a reader checks it before the figures."""
    if provenance is not None:
        for line in provenance.lines(lang):
            print(line)


def backtest_cli(
    data_path,
    holdout: int,
    out_dir=None,
    *,
    paths: int = 2000,
    seed: int = 0,
    lang: str = "en",
    read_options: dict | None = None,
) -> int:
    """``cssim backtest DATA.csv --holdout N [--out DIR]``: 0 ok, 2 bad data, 1 failed to write.

    Prints the coverage and bias per metric; with ``--out`` writes ``DIR/backtest.html`` (the chart
    embedded) and ``DIR/backtest.png``.
    """
    try:
        bt = backtest(data_path, holdout=holdout, paths=paths, seed=seed, **(read_options or {}))
    except ScenarioError as e:
        print(scenario_error_text(e, lang), file=sys.stderr)
        return 2
    _ = Translator(lang)
    _print_provenance(bt.calibration.provenance, lang)
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
