"""The batch index page: every scenario's headline KPIs side by side, their ARR fans, links and failures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..model.result import _atomic, _money
from ..runs.manifest import STATUS_LABELS
from .htmlpage import SORT_JS, esc, figure_img, page, table

__all__ = ["write_index"]


def _fan_chart(result) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fans = []
    for e in result.entries:
        q = (e.get("outputs") or {}).get("quantiles")
        if e["status"] not in ("ok", "up-to-date") or not q or not (result.out_dir / q).exists():
            continue
        df = pd.read_csv(result.out_dir / q)
        df = df[(df.metric == "arr") & (df.segment == "total")]
        fans.append((e.get("name", e["slug"]), e.get("currency", ""), df))
    if not fans:
        return None
    fig, ax = plt.subplots(figsize=(9, 4.8))
    colors = plt.get_cmap("tab10")
    for i, (name, _, df) in enumerate(fans):
        c = colors(i % 10)
        ax.fill_between(df.month, df.p10, df.p90, color=c, alpha=0.15, linewidth=0)
        ax.plot(df.month, df.p50, color=c, label=name, linewidth=2)
    currencies = {cur for _, cur, _ in fans}
    unit = currencies.pop() if len(currencies) == 1 else "mixed currencies"
    ax.set_xlabel("Month")
    ax.set_ylabel(f"ARR ({unit})")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _money(v)))
    ax.set_title("ARR by scenario: median with P10-P90 band")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return figure_img(fig, "ARR fans of every scenario compared")


def write_index(result) -> Path:
    """Write ``index.html`` for a :class:`cssim.batch.BatchResult`, atomically."""
    rows = []
    for e in result.entries:
        h = e.get("headline") or {}
        status = e["status"]
        label = STATUS_LABELS.get(status, status)
        name = esc(e.get("name", e["slug"]))
        link = (e.get("outputs") or {}).get("report")
        name_cell = (
            f'<a href="{esc(link)}">{name}</a>' if link and status in ("ok", "up-to-date") else name
        )
        cur = esc(e.get("currency", ""))

        def money(k, h=h, cur=cur):
            v = h.get(k)
            return (f"{_money(v)} {cur}", v) if v is not None else ("", "")

        rows.append(
            [
                (name_cell, e.get("name", e["slug"])),
                (f'<span class="{esc(status)}">{esc(label)}</span>', label),
                money("arr_start"),
                money("arr_median"),
                money("arr_p10"),
                money("arr_p90"),
                (f"{h['p_arr_grows']:.0%}", h["p_arr_grows"]) if "p_arr_grows" in h else ("", ""),
                (f"{h['customers_median']:,.0f}", h["customers_median"])
                if "customers_median" in h
                else ("", ""),
                (esc(e.get("source", "")), e.get("source", "")),
            ]
        )
    header = [
        "Scenario",
        "Status",
        "ARR now",
        "ARR median",
        "P10",
        "P90",
        "P(ARR grows)",
        "Customers (median)",
        "Source",
    ]
    failures = "".join(
        f"<h3>{esc(e.get('name', e['slug']))} <span class='muted'>({esc(e['source'])}, "
        f"stage: {esc(e.get('stage', '?'))})</span></h3><pre class='error'>{esc(e.get('error', ''))}</pre>"
        for e in result.failed
    )
    months = sorted({(e.get("headline") or {}).get("month") for e in result.entries} - {None})
    fan = _fan_chart(result)
    body = (
        "<h1>Scenario batch</h1>"
        f"<p class='muted'>{esc(result.describe())}. "
        f"Figures at month {', '.join(map(str, months)) or '-'}; click a column to sort.</p>"
        + table(header, rows, sortable=True)
        + (f"<h2>ARR compared</h2>{fan}" if fan else "")
        + (f"<h2>Failures</h2>{failures}" if failures else "")
        + "<p class='muted'>Made by cssim. Every scenario ran on the same seed (common random numbers), "
        "so differences between scenarios are the scenarios' doing.</p>"
    )
    html = page("Scenario batch", body, SORT_JS)
    return _atomic(
        result.out_dir / "index.html", lambda p: Path(p).write_text(html, encoding="utf-8")
    )
