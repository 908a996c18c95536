"""Scenario text reaches charts as plain text: never mathtext, never TeX.

matplotlib reads a string holding an even number of unescaped ``$`` as mathtext (``$x$`` is drawn as an
italic x; ``$\\x$`` raises a parse error at draw time) and, with ``text.usetex``, hands text to LaTeX. Names
and descriptions are data, so every chart passes through :func:`plain_figure` before it is returned or
saved: it turns TeX off on each text and escapes ``$`` (``\\$``, drawn as a literal dollar) in texts and in
fixed and categorical tick labels, which matplotlib creates later at draw time.
"""

from __future__ import annotations

from typing import Any

from matplotlib import category, ticker
from matplotlib.text import Text

__all__ = ["finish_axes", "plain", "plain_figure"]


def plain(text: str) -> str:
    """``text`` escaped so that matplotlib draws it literally: every ``$`` becomes ``\\$``.

    An escaped string stays literal: matplotlib replaces ``\\$`` with ``$`` when it draws non-math text.
    """
    return str(text).replace("$", r"\$")


def _is_math(text: str) -> bool:
    n = text.count("$") - text.count(r"\$")
    return n > 0 and n % 2 == 0


def _escaped(text: Any) -> Any:
    return plain(text) if isinstance(text, str) and _is_math(text) else text


def plain_figure(obj: Any) -> Any:
    """Make every text of a figure (or of an Axes' figure) plain; returns ``obj``.

    Texts that would be read as mathtext are escaped with :func:`plain`; TeX is turned off on all of them;
    fixed and categorical tick formatters are wrapped so that labels made later are escaped too.
    """
    fig = getattr(obj, "figure", None) if not hasattr(obj, "savefig") else obj
    if fig is None:
        return obj
    for t in fig.findobj(Text):
        t.set_usetex(False)
        text = t.get_text()
        if _is_math(text):
            t.set_text(plain(text))
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            major, minor = axis.get_major_formatter(), axis.get_minor_formatter()
            if isinstance(major, _TEXT_FORMATTERS):
                axis.set_major_formatter(_PlainFormatter(major))
            if isinstance(minor, _TEXT_FORMATTERS):
                axis.set_minor_formatter(_PlainFormatter(minor))
    return obj


class _PlainFormatter(ticker.Formatter):
    """A tick formatter whose labels are escaped with :func:`plain` when they would be mathtext."""

    def __init__(self, inner: ticker.Formatter):
        self.inner = inner

    def set_axis(self, axis):
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def __call__(self, x, pos=None):
        return _escaped(self.inner(x, pos))

    def format_ticks(self, values):
        return [_escaped(s) for s in self.inner.format_ticks(values)]

    def set_locs(self, locs):
        self.locs = locs
        self.inner.set_locs(locs)

    def get_offset(self):
        return _escaped(self.inner.get_offset())

    def format_data(self, value):
        return self.inner.format_data(value)

    def format_data_short(self, value):
        return self.inner.format_data_short(value)


#: Formatters whose labels are text given by the caller (names, categories), not computed numbers.
_TEXT_FORMATTERS = (ticker.FixedFormatter, ticker.FuncFormatter, category.StrCategoryFormatter)


def finish_axes(ax, own: bool):
    """End an analysis chart: scenario text as plain text (before any layout: layout draws the texts),
    then lay the figure out only when the chart made it (never re-lay-out a figure the caller owns)."""
    plain_figure(ax)
    if own:
        ax.figure.tight_layout()
    return ax
