"""The batch index page: every scenario's headline KPIs side by side, their ARR fans, links and failures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..model.atomic import atomic as _atomic
from ..words import formatting as fmt
from ..words.chart_text import money_ticks
from ..words.fonts import use_fonts
from ..words.i18n import Translator
from .charts import embed
from .pages import cell, render

__all__ = ["write_index"]


def _fan_chart(result, lang: str = "en"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)

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
    _ = Translator(lang)
    one = currencies.pop() if len(currencies) == 1 else None
    unit = one or _("mixed currencies")
    ax.set_xlabel(_("Month"))
    ax.set_ylabel(_("ARR ({unit})", unit=unit))
    ax.yaxis.set_major_formatter(money_ticks(one, lang))
    ax.set_title(_("ARR by scenario: median and 80% range"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return embed(fig, _("ARR fans of every scenario compared"))


def write_index(result, lang: str = "en") -> Path:
    """Write ``index.html`` for a :class:`cssim.batch.BatchResult` in ``lang``, atomically."""
    _ = Translator(lang)
    rows = []
    status_text = {
        "ok": _("ok"),
        "up-to-date": _("up to date"),
        "failed": _("failed"),
        "pending": _("pending"),
        "running": _("running"),
    }
    for e in result.entries:
        h = e.get("headline") or {}
        status = e["status"]
        name = e.get("name", e["slug"])
        link = (e.get("outputs") or {}).get("report")
        cur = e.get("currency", "") or "JPY"

        def money(k, h=h, cur=cur):
            v = h.get(k)
            return cell(fmt.money(v, cur, lang), v) if v is not None else cell("", "")

        rows.append(
            [
                cell(name, name, href=link if link and status in ("ok", "up-to-date") else None),
                cell(status_text.get(status, status), status, cls=status),
                money("arr_start"),
                money("arr_median"),
                money("arr_p10"),
                money("arr_p90"),
                cell(fmt.percent(h["p_arr_grows"], lang, 0), h["p_arr_grows"])
                if "p_arr_grows" in h
                else cell("", ""),
                cell(fmt.count(h["customers_median"], lang), h["customers_median"])
                if "customers_median" in h
                else cell("", ""),
                cell(e.get("source", ""), e.get("source", "")),
            ]
        )
    columns = [
        _("Scenario"),
        _("Status"),
        _("ARR now"),
        _("ARR median"),
        "P10",
        "P90",
        _("P(ARR grows)"),
        _("Customers (median)"),
        _("Source"),
    ]
    failures = [
        {
            "name": e.get("name", e["slug"]),
            "where": _("{source}, stage: {stage}", source=e["source"], stage=e.get("stage", "?")),
            "error": e.get("error", ""),
        }
        for e in result.failed
    ]
    counts = result.counts()
    months = sorted({(e.get("headline") or {}).get("month") for e in result.entries} - {None})
    summary = _(
        "{n} scenarios: {ok} run, {skipped} up to date, {failed} failed. Figures at month {months}.",
        n=len(result.entries),
        ok=counts["ok"],
        skipped=counts["up-to-date"],
        failed=counts["failed"],
        months=", ".join(map(str, months)) or "-",
    )
    html = render(
        "batch_index.html",
        lang,
        title=_("Scenario batch"),
        summary=summary,
        columns=columns,
        rows=rows,
        fan=_fan_chart(result, lang),
        failures=failures,
        sortable=True,
    )
    return _atomic(
        result.out_dir / "index.html", lambda p: Path(p).write_text(html, encoding="utf-8")
    )
