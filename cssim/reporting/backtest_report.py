"""The backtest page and section: coverage and bias per metric, and the forecast fan over the actuals.

:func:`backtest_section` is the section the calibration report embeds; :func:`write_backtest` writes
``backtest.html`` (self-contained, the chart embedded as base64 PNG) and ``backtest.png``. Both are
built on the shared page templates (:mod:`cssim.reporting.pages`), in English or Japanese.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..words import formatting as fmt
from ..words.fonts import use_fonts
from ..words.i18n import N_, Translator
from .charts import embed
from .pages import cell, render

if TYPE_CHECKING:  # pragma: no cover
    from ..data.backtest import Backtest

__all__ = ["backtest_section", "write_backtest"]

#: Metric names as shown (translated where shown).
METRIC_NAMES = {
    "customers": N_("customers"),
    "mrr": N_("MRR"),
    "new_customers": N_("new customers"),
    "churned_mrr": N_("churned MRR"),
}


def _figure(bt: Backtest, lang: str = "en"):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    use_fonts()
    return bt.plot(Figure(figsize=(10, 6.5)), lang=lang)


def backtest_section(bt: Backtest, lang: str = "en") -> dict[str, Any]:
    """The backtest as a page section: what was done, the coverage and bias table and the chart."""
    _ = Translator(lang)
    rows = [
        [
            _(METRIC_NAMES.get(m, m)),
            fmt.count(r.months, lang),
            cell(fmt.percent(r.inside_80, lang, 0), r.inside_80),
            cell(fmt.percent(r.inside_90, lang, 0), r.inside_90),
            cell(fmt.percent(r.bias, lang, 1, sign=True), r.bias),
            cell(fmt.percent(r.bias_last, lang, 1, sign=True), r.bias_last),
        ]
        for m, r in bt.summary.iterrows()
    ]
    return {
        "heading": _("Backtest"),
        "paragraphs": [
            _(
                "The scenario was calibrated again from the months up to {cutoff} only, simulated "
                "for the {holdout} months held out ({paths} paths, seed {seed}) and compared with "
                "what happened. An honest 80% band (P10-P90) holds about 80% of the months; the bias "
                "is the mean of (median forecast - actual) / actual, positive when the forecast was "
                "too high. Consecutive months are correlated, so a short holdout is a noisy check.",
                cutoff=str(bt.cutoff),
                holdout=bt.holdout,
                paths=fmt.count(bt.paths, lang),
                seed=bt.seed,
            )
        ],
        "columns": [
            _("metric"),
            _("held-out months"),
            _("inside P10-P90"),
            _("inside P5-P95"),
            _("bias of the median (mean)"),
            _("bias at the last month"),
        ],
        "rows": rows,
        "figures": [embed(_figure(bt, lang), _("backtest: forecast fans over the actual months"))],
    }


def write_backtest(
    bt: Backtest, directory: str | os.PathLike, lang: str = "en"
) -> tuple[Path, Path]:
    """Write ``backtest.html`` and ``backtest.png`` into ``directory`` atomically; returns both paths."""
    from ..model.atomic import atomic as _atomic

    _ = Translator(lang)
    directory = Path(directory)
    page = render(
        "page.html",
        lang,
        title=_("Backtest: {source}", source=str(bt.source)),
        notes=[],
        items=[],
        paragraphs=[],
        figures=[],
        sections=[backtest_section(bt, lang)],
    )
    html = _atomic(
        directory / "backtest.html", lambda p: Path(p).write_text(page, encoding="utf-8")
    )
    buf = io.BytesIO()
    _figure(bt, lang).savefig(buf, format="png", dpi=110)
    png = directory / "backtest.png"
    tmp = directory / ".backtest.png.tmp"
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, png)
    return html, png
