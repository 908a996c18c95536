"""The backtest page and section: coverage and bias per metric, and the forecast fan over the actuals.

:func:`backtest_section` is the block the calibration report embeds; :func:`write_backtest` writes
``backtest.html`` (self-contained, the chart embedded as base64 PNG) and ``backtest.png``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .htmlpage import esc, figure_img, page, table

if TYPE_CHECKING:  # pragma: no cover
    from ..data.backtest import Backtest

__all__ = ["backtest_section", "summary_table", "write_backtest"]


def summary_table(bt: Backtest) -> str:
    """Coverage of the P10-P90 and P5-P95 bands and the bias of the median, per metric."""
    from ..data.backtest import BACKTEST_METRICS

    rows = [
        [
            esc(BACKTEST_METRICS[m]),
            str(int(r.months)),
            (f"{r.inside_80:.0%}", r.inside_80),
            (f"{r.inside_90:.0%}", r.inside_90),
            (f"{r.bias:+.1%}", r.bias),
            (f"{r.bias_last:+.1%}", r.bias_last),
        ]
        for m, r in bt.summary.iterrows()
    ]
    return table(
        [
            "metric",
            "held-out months",
            "inside P10-P90",
            "inside P5-P95",
            "bias of the median (mean)",
            "bias at the last month",
        ],
        rows,
    )


def _figure(bt: Backtest):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return bt.plot(Figure(figsize=(10, 6.5)))


def backtest_section(bt: Backtest, heading: str = "h2") -> str:
    """The backtest as an HTML block: what was done, the table and the chart."""
    return "\n".join(
        [
            f"<{heading}>Backtest</{heading}>",
            f"<p>The scenario was calibrated again from the months up to {esc(bt.cutoff)} only, "
            f"simulated for the {bt.holdout} months held out ({bt.paths:,} paths, seed {bt.seed}) and "
            "compared with what happened. An honest 80% band (P10-P90) holds about 80% of the months; "
            "the bias is the mean of (median forecast - actual) / actual, positive when the forecast "
            "was too high. Consecutive months are correlated, so a short holdout is a noisy check.</p>",
            summary_table(bt),
            figure_img(_figure(bt), "backtest: forecast fans over the actual months"),
        ]
    )


def write_backtest(bt: Backtest, directory: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``backtest.html`` and ``backtest.png`` into ``directory`` atomically; returns both paths."""
    from ..data.calibrate import _atomic_write

    directory = Path(directory)
    html = _atomic_write(
        directory / "backtest.html",
        page(
            f"Backtest: {bt.source}", f"<h1>Backtest: {esc(bt.source)}</h1>\n{backtest_section(bt)}"
        ),
    )
    buf = io.BytesIO()
    _figure(bt).savefig(buf, format="png", dpi=110)
    png = directory / "backtest.png"
    tmp = directory / ".backtest.png.tmp"
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, png)
    return html, png
