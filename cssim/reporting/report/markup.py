"""What the report's sections are built from: an :class:`Html` fragment, escaped tables, paragraphs
and sections, and figures drawn without pyplot and embedded as PNG."""

from __future__ import annotations

import base64
import html
import io
import re
import warnings
from collections.abc import Callable, Sequence

import pandas as pd

from ...words import fonts
from ...words import formatting as fm
from ...words.i18n import N_, Translator

e = html.escape


class Html:
    """An HTML fragment that Jupyter and nbconvert show as ``text/html``.

    Built only by the report, from text passed through :func:`html.escape`.
    """

    def __init__(self, markup: str, text: str = ""):
        self.markup = markup
        self.text = text

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.text or "<cssim report section>"


#: Rows above which a printed table may break across pages (``.cssim-table.long`` in the CSS).
LONG_TABLE = 12


def _table(
    df: pd.DataFrame,
    caption: str = "",
    index: bool = True,
    numeric: Sequence[str] | None = None,
    cls: str = "",
) -> str:
    """An HTML table of escaped text; ``numeric`` columns (default: all but the first) align right.

    A trailing ``" (...)"`` in a cell (a P10-P90 range, a unit) is shown in a quieter style. Every cell
    carries its column's name (``data-label``) so a narrow screen can stack the rows as cards.
    """
    frame = df.reset_index() if index else df
    cols = [str(c) for c in frame.columns]
    numeric = set(cols[1:] if numeric is None else numeric)

    def klass(c):
        return " class='num'" if c in numeric else ""

    def cell(v):
        main, sep, rest = str(v).partition(" (")
        return e(main) + (f" <span class='range'>({e(rest)}</span>" if sep else "")

    head = "".join(f"<th scope='col'{klass(c)}>{e(c)}</th>" for c in cols)
    body = []
    for row in frame.itertuples(index=False):
        first, *rest = row
        cells = [f"<th scope='row'>{cell(first)}</th>"]
        cells += [
            f"<td{klass(c)} data-label='{e(c)}'>{cell(v)}</td>"
            for c, v in zip(cols[1:], rest, strict=True)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    # a long table may continue on the next printed page (its header repeated); a short one may not
    extra = (f" {cls}" if cls else "") + (" long" if len(body) > LONG_TABLE else "")
    return (
        f"<div class='table-wrap'><table class='cssim-table{extra}'>{cap}<thead><tr>{head}</tr>"
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _section(title: str, *parts: str, cls: str = "") -> Html:
    markup = f"<section class='cssim-section {cls}'><h2>{e(title)}</h2>{''.join(parts)}</section>"
    return Html(markup, text=title)


def _p(text: str, cls: str = "") -> str:
    c = f" class='{cls}'" if cls else ""
    return f"<p{c}>{e(text)}</p>"


def _rc() -> dict:
    return {
        "font.family": fonts.register(),
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.fontsize": 9,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "axes.edgecolor": "#666666",
        "axes.unicode_minus": True,
    }


#: The English text charts carry, and what a reader of another language sees instead (regular
#: expressions matched against a whole text; named groups fill the translation's placeholders).
_CHART_TEXT: list[tuple[re.Pattern, str]] = [
    (re.compile(p), m)
    for p, m in [
        (r"Month", N_("Month")),
        (r"Median", N_("Median")),
        (r"P10-P90", N_("P10–P90 (8 futures in 10)")),
        (r"ARR \([A-Z]{3}\)", N_("ARR")),
        (r"ARR", N_("ARR")),
        (r"Customers", N_("Customers")),
        (r"New MRR", N_("New MRR")),
        (r"Expansion MRR", N_("Expansion MRR")),
        (r"Contraction MRR", N_("Contraction MRR")),
        (r"Churned MRR", N_("Churned MRR")),
        (r"Net new MRR \(median\)", N_("Net new MRR (median)")),
        (r"Net new MRR P10-P90", N_("Net new MRR, P10–P90")),
        (r"MRR per month \([A-Z]{3}\)", N_("MRR a month")),
        (r"MRR movements per month", N_("MRR movements each month")),
        (r"Retention over trailing 12 months \(%\)", N_("Retention over the last 12 months")),
        (r"Net and gross revenue retention", N_("Net and gross revenue retention (NRR, GRR)")),
        (r"NRR", N_("NRR")),
        (r"GRR", N_("GRR")),
        (r"NRR \(= GRR: no expansion\)", N_("NRR (= GRR: no expansion)")),
        (r"MRR \([A-Z]{3}, mean over paths\)", N_("MRR (mean over futures)")),
        (r"MRR by joining year", N_("MRR by the year customers joined")),
        (r"Starting customers", N_("Starting customers")),
        (r"Joined in (?:year )?(?P<year>\d+)", N_("Joined in year {year}")),
        (r"not defined \(no CS costs\)", N_("not defined (no CS costs)")),
        (r"not defined \(no CAC\)", N_("not defined (no CAC)")),
        (r"LTV:CAC", N_("LTV:CAC")),
        (r"ARR:CRC", N_("ARR:CRC")),
        (r"LTV:CAC \((?P<segment>.+)\)", N_("LTV:CAC ({segment})")),
        (r"ARR:CRC \((?P<segment>.+)\)", N_("ARR:CRC ({segment})")),
        (
            r"Ratio \(log scale\); red ticks: guidelines 3:1 \(LTV:CAC\) and 10:1 \(ARR:CRC\)",
            N_("Ratio (log scale); red ticks: the guidelines 3:1 (LTV:CAC) and 10:1 (ARR:CRC)"),
        ),
        (
            r"Unit economics at month (?P<month>\d+): median and P10-P90",
            N_("Unit economics at month {month}: median and P10–P90"),
        ),
    ]
]


def _chart_text(text: str, t: Translator) -> str | None:
    for pattern, message in _CHART_TEXT:
        if m := pattern.fullmatch(text):
            return t(message, **m.groupdict())
    return None


def _localize(fig, t: Translator, currency: str) -> None:
    """Put a drawn figure in the reader's language: its texts (:data:`_CHART_TEXT`) and its money
    ticks (``¥352M`` / ``3.52億円``, through :func:`cssim.words.formatting.money`)."""
    from matplotlib.text import Text
    from matplotlib.ticker import FuncFormatter

    for text in fig.findobj(Text):
        new = _chart_text(text.get_text(), t)
        if new is not None:
            text.set_text(new)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            f = axis.get_major_formatter()
            if isinstance(f, FuncFormatter) and getattr(f.func, "__name__", "") == "compact":
                axis.set_major_formatter(_money_ticks(t.lang, currency))
        # tick labels set as fixed text (segment names, levers) are translated above


def _money_ticks(lang: str, currency: str):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _=None: fm.money(v, currency, lang) if v else "0")


def _figure(
    draw: Callable,
    alt: str,
    caption: str,
    size=(10, 3.8),
    ncols: int = 1,
    width_ratios=None,
    *,
    t: Translator | None = None,
    currency: str = "JPY",
) -> str:
    """Draw on a new figure (no pyplot, no backend) and return it as an embedded PNG.

    With ``t`` the figure's texts and money ticks are put in its language (:func:`_localize`).
    """
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc()), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = Figure(figsize=size, layout="constrained")
        axes = fig.subplots(
            1, ncols, gridspec_kw={"width_ratios": width_ratios} if width_ratios else None
        )
        draw(axes)
        if t is not None:
            _localize(fig, t, currency)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=144, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f"<figure><img src='data:image/png;base64,{data}' alt='{e(alt)}'>"
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


def _fig(ctx, draw: Callable, alt: str, caption: str, **kw) -> str:
    return _figure(draw, alt, caption, t=ctx.t, currency=ctx.currency, **kw)
