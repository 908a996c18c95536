"""The explorer's chart: ARR and customer fans beside the MRR bridge, one figure updated in place.

The figure is drawn in the reader's language when it is made (titles, legend, bar names, money ticks
through :func:`cssim.words.chart_text.money_ticks`); nothing relabels it afterwards. Each update is
blitted (axes and ticks rendered once per set of axis limits) and sent as PNG bytes to an
``ipywidgets.Image``: one message per update, no flicker, and cheaper than clearing an ``Output`` and
re-displaying a figure.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..model.result import SimulationResult
from ..words.chart_text import chart_text, money_ticks
from ..words.fonts import use_fonts
from ..words.plaintext import plain
from ._text import formatted

__all__ = ["Chart"]

_COLORS = {
    "band": "#4C72B0",
    "base": "#888888",
    "start": "#6C7A89",
    "new": "#2E8B57",
    "expansion": "#7FBF7F",
    "contraction": "#E8A33D",
    "churned": "#C0392B",
    "end": "#4C72B0",
}
_BARS = ("start", "new", "expansion", "contraction", "churned", "end")
_FLOWS = ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")


class Chart:
    """ARR and customer fans (P10-P90 around the median, file scenario dashed) and the MRR bridge.

    One figure, updated in place and blitted: axes, ticks and titles are rendered once per set of axis
    limits (limits snap to a coarse grid, so most slider moves keep them) and cached as pixels; each update
    restores those pixels, draws only the lines, bands, bars and labels, and encodes PNG bytes.

    Parameters
    ----------
    currency : str
        Of the money axes and the bridge's labels.
    lang : str
        ``"en"`` or ``"ja"``: every word of the figure.
    """

    def __init__(self, currency: str, lang: str = "en"):
        use_fonts()  # Japanese titles and names render (IPAexGothic after the Latin font)
        _ = self._ = chart_text(lang)
        self.currency, self.lang = currency, _.lang
        # Fixed margins: a layout engine would measure every tick label on every redraw.
        self.fig = Figure(figsize=(11.5, 3.5), dpi=80)
        self.fig.subplots_adjust(left=0.065, right=0.99, bottom=0.14, top=0.91, wspace=0.22)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax_arr, self.ax_cust, self.ax_wf = self.fig.subplots(1, 3, width_ratios=(1, 1, 1.15))
        self.dynamic: list = []
        self.fans: dict[str, dict[str, Any]] = {}
        for ax, metric, title in (
            (self.ax_arr, "arr", _("ARR ({currency})", currency=currency)),
            (self.ax_cust, "customers", _("Customers")),
        ):
            ax.set_title(plain(title), fontsize=11, loc="left")
            ax.set_xlabel(_("month"))
            ax.grid(alpha=0.3)
            band = ax.fill_between(
                [0, 1],
                [0, 0],
                [0, 0],
                color=_COLORS["band"],
                alpha=0.22,
                lw=0,
                label=_("now, P10-P90"),
            )
            (base,) = ax.plot(
                [], [], color=_COLORS["base"], lw=1.3, ls="--", label=_("file, median")
            )
            (med,) = ax.plot([], [], color=_COLORS["band"], lw=2, label=_("now, median"))
            self.fans[metric] = {"ax": ax, "band": band, "base": base, "median": med}
            self.dynamic += [band, base, med]
        self.ax_arr.yaxis.set_major_formatter(money_ticks(currency, self.lang))
        self.ax_cust.yaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos: formatted(x, "count", self.lang))
        )
        self.legend = self.ax_arr.legend(
            loc="lower left", fontsize=8, frameon=True, framealpha=0.8, edgecolor="none"
        )
        self.ax_wf.yaxis.set_major_formatter(money_ticks(currency, self.lang))
        self.ax_wf.grid(axis="y", alpha=0.3)
        self.bars = list(self.ax_wf.bar(range(6), [0] * 6, color=[_COLORS[k] for k in _BARS]))
        self.ax_wf.set_xticks(
            range(6),
            [_("Start"), _("+ New"), _("+ Exp."), _("- Contr."), _("- Churn"), _("End")],
            fontsize=9,
        )
        self.texts = [
            self.ax_wf.text(i, 0, "", ha="center", va="bottom", fontsize=8) for i in range(6)
        ]
        self.dynamic += [*self.bars, *self.texts, self.legend]
        for a in self.dynamic:
            a.set_animated(True)
        self._background = None
        self._key: tuple | None = None
        self._base_medians: dict[str, tuple] = {}

    def _fan(self, r: SimulationResult, base: SimulationResult, metric: str) -> float:
        """Set one fan's band and lines; return the axis top it needs."""
        fan = self.fans[metric]
        q10, q50, q90 = np.quantile(r[metric], (0.1, 0.5, 0.9), axis=0)
        if self._base_medians.get(metric, (None,))[0] is not base:
            self._base_medians[metric] = (base, np.quantile(base[metric], 0.5, axis=0))
        b50 = self._base_medians[metric][1]
        m = r.months.astype(float)
        fan["median"].set_data(m, q50)
        fan["base"].set_data(base.months, b50)
        fan["band"].set_verts([np.column_stack([np.r_[m, m[::-1]], np.r_[q10, q90[::-1]]])])
        return _nice_top(1.04 * max(q90.max(), b50.max()))

    def _bridge(self, r: SimulationResult) -> float:
        """Set the MRR bridge's bars and labels (means of paths); return the axis top it needs.

        The bars read start + new + expansion - contraction - churned = end, the flows summed over
        months 1 to the horizon.
        """
        t = slice(1, r.horizon + 1)
        start = float(np.mean(r["mrr"][:, 0]))
        flows = [float(np.mean(r[m][:, t].sum(1))) for m in _FLOWS]
        end = float(np.mean(r["mrr"][:, -1]))
        level, tops = start, [start]
        for bar, sign, f in zip(self.bars[1:5], (1, 1, -1, -1), flows, strict=True):
            lo = level if sign > 0 else level - f
            bar.set_y(lo)
            bar.set_height(f)
            level += sign * f
            tops.append(lo + f)
        self.bars[0].set_height(start)
        self.bars[5].set_height(end)
        tops.append(end)
        for i, (txt, v) in enumerate(zip(self.texts, [start, *flows, end], strict=True)):
            txt.set_position((i, tops[i]))
            txt.set_text(plain(formatted(v, "money", self.lang, self.currency)))
        return _nice_top(1.08 * max(tops))

    def draw(self, r: SimulationResult, base: SimulationResult) -> bytes:
        """Update the artists for this result and return the figure as PNG bytes."""
        key = (
            r.horizon,
            self._fan(r, base, "arr"),
            self._fan(r, base, "customers"),
            self._bridge(r),
        )
        if key != self._key:  # new limits: render the static parts once and keep their pixels
            for ax in (self.ax_arr, self.ax_cust):
                ax.set_xlim(0, r.horizon)
            self.ax_arr.set_ylim(0, key[1])
            self.ax_cust.set_ylim(0, key[2])
            self.ax_wf.set_ylim(0, key[3])
            self.ax_wf.set_title(
                self._("MRR bridge, month 0 to {month} (mean of paths)", month=r.horizon),
                fontsize=11,
                loc="left",
            )
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._key = key
        else:
            self.canvas.restore_region(self._background)
        for a in self.dynamic:
            a.axes.draw_artist(a)
        rgba = np.asarray(self.canvas.buffer_rgba())
        height, width = rgba.shape[:2]
        # RGBA to RGB in Pillow: a numpy slice would be copied (5 ms) before Pillow reads it
        image = PIL.Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="png", compress_level=1)
        return buf.getvalue()


def _nice_top(x: float) -> float:
    """A round axis top at or above ``x`` on a coarse grid (1, 1.2, 1.5, 2, 2.5, ... 8 x 10^k)."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    mag = 10.0 ** math.floor(math.log10(x))
    return next(m * mag for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 10) if m * mag >= x)
