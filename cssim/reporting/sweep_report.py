"""The sweep report: heatmaps (or curves) of P(ARR grows) and median ARR, with the break-even line."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..analysis.sweep import SweepResult
from ..model.atomic import atomic as _atomic
from ..words import formatting as fmt
from ..words.chart_text import money_ticks
from ..words.fonts import use_fonts
from ..words.i18n import Translator
from ..words.labels import parameter_kind, parameter_label
from .charts import embed
from .pages import render

__all__ = ["write_sweep_report"]


def _label(field: str, scenario=None, lang: str = "en") -> str:
    """A sweep axis for people: ``monthly churn (%)``, never the field path."""
    name = parameter_label(field, scenario, lang)
    return f"{name} (%)" if parameter_kind(field, scenario) == "percent" else name


def _scale(field: str, values, scenario=None) -> np.ndarray:
    percent = parameter_kind(field, scenario) == "percent"
    return np.asarray(values, float) * (100 if percent else 1)


def _value(field: str, value: float, scenario, lang: str) -> str:
    percent = parameter_kind(field, scenario) == "percent"
    kind, digits = ("percent", 2) if percent else ("number", "fit")
    return fmt.format_value(value, kind, lang, digits=digits)


def _heatmaps(s: SweepResult, lang: str = "en") -> list:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)

    _ = Translator(lang)
    fy, fx = s.fields
    t = s.table
    ys, xs = np.sort(t[fy].unique()), np.sort(t[fx].unique())
    X, Y = np.meshgrid(_scale(fx, xs, s.base), _scale(fy, ys, s.base))
    arr0 = float(t["arr_start"].iloc[0])
    out = []
    for col, title, cmap, show in (
        (
            "p_arr_grows",
            _("P(ARR grows) at the horizon"),
            "RdYlGn",
            lambda v: fmt.percent(v, lang, 0),
        ),
        (
            "arr_ratio",
            _("Median ARR at the horizon / ARR now"),
            "RdYlGn",
            lambda v: fmt.number(v, lang, 2),
        ),
    ):
        data = t.assign(arr_ratio=t["arr_median"] / arr0)
        Z = data.pivot(index=fy, columns=fx, values=col).loc[ys, xs].to_numpy()
        fig, ax = plt.subplots(figsize=(7.5, 5.2))
        norm = matplotlib.colors.TwoSlopeNorm(
            vcenter=0.5 if col == "p_arr_grows" else 1.0,
            vmin=min(Z.min(), 0.49 if col == "p_arr_grows" else 0.99),
            vmax=max(Z.max(), 0.51 if col == "p_arr_grows" else 1.01),
        )
        mesh = ax.pcolormesh(X, Y, Z, cmap=cmap, norm=norm, shading="nearest")
        fig.colorbar(mesh, ax=ax, label=title)
        if len(xs) * len(ys) <= 121:
            for i in range(len(ys)):
                for j in range(len(xs)):
                    ax.text(X[i, j], Y[i, j], show(Z[i, j]), ha="center", va="center", fontsize=7)
        ratio = data.pivot(index=fy, columns=fx, values="arr_ratio").loc[ys, xs].to_numpy()
        if min(ratio.shape) >= 2 and ratio.min() < 1 < ratio.max():
            cs = ax.contour(X, Y, ratio, levels=[1.0], colors="black", linewidths=2)
            ax.clabel(cs, fmt={1.0: _("break-even: ARR flat")}, fontsize=8)
        _closed_form_line(ax, fx, fy, xs, ys, lang)
        ax.set_xlabel(_label(fx, s.base, lang))
        ax.set_ylabel(_label(fy, s.base, lang))
        ax.set_title(title)
        out.append(embed(fig, title))
    return out


def _closed_form_line(ax, fx: str, fy: str, xs, ys, lang: str = "en") -> None:
    """For churn x annual growth: the flat-customer-base line c = (1 + g)^(1/12) - 1 (MODEL.md)."""
    _ = Translator(lang)
    if fx.endswith("acquisition.rate") and fy.endswith("churn.monthly"):
        g = np.linspace(xs.min(), xs.max(), 200)
        ax.plot(
            g * 100,
            ((1 + g) ** (1 / 12) - 1) * 100,
            "--",
            color="navy",
            label=_("flat customer base: c = (1+g)^(1/12) - 1"),
        )
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, frameon=False)
    elif fx.endswith("churn.monthly") and fy.endswith("acquisition.rate"):
        g = np.linspace(ys.min(), ys.max(), 200)
        ax.plot(
            ((1 + g) ** (1 / 12) - 1) * 100,
            g * 100,
            "--",
            color="navy",
            label=_("flat customer base: c = (1+g)^(1/12) - 1"),
        )
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, frameon=False)


def _curves(s: SweepResult, lang: str = "en") -> list:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)

    _ = Translator(lang)
    (f,) = s.fields
    t = s.table.sort_values(f)
    x = _scale(f, t[f], s.base)
    cur = s.base.currency
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    a1.fill_between(
        x, t.arr_p10, t.arr_p90, alpha=0.2, color="#1f77b4", label=_("80% range (P10–P90)")
    )
    a1.plot(x, t.arr_median, color="#1f77b4", lw=2, label=_("Median"))
    a1.axhline(t.arr_start.iloc[0], color="black", lw=1, ls="--", label=_("ARR now"))
    a1.set_ylabel(_("ARR at the horizon ({currency})", currency=cur))
    a1.yaxis.set_major_formatter(money_ticks(cur, lang))
    a2.errorbar(x, t.p_arr_grows, yerr=2 * t.p_arr_grows_se, fmt="o-", color="#2ca02c", capsize=3)
    a2.set_ylim(-0.02, 1.02)
    a2.set_ylabel(_("P(ARR grows)"))
    for a in (a1, a2):
        a.set_xlabel(_label(f, s.base, lang))
        a.grid(alpha=0.3)
    a1.legend(fontsize=8)
    return [embed(fig, _("ARR and P(ARR grows) across {field}", field=_label(f, s.base, lang)))]


def write_sweep_report(s: SweepResult, path, lang: str = "en") -> Path:
    """Write the sweep's HTML page (self-contained) in ``lang``, atomically."""
    _ = Translator(lang)
    figs = _heatmaps(s, lang) if len(s.fields) == 2 else _curves(s, lang)
    cur = s.base.currency
    t = s.table
    rows = [
        [
            *(_value(f, r[f], s.base, lang) for f in s.fields),
            fmt.money(r["arr_median"], cur, lang),
            fmt.span(fmt.money(r["arr_p10"], cur, lang), fmt.money(r["arr_p90"], cur, lang), lang),
            f"{fmt.percent(r['p_arr_grows'], lang, 1)} ± {fmt.percent(r['p_arr_grows_se'], lang, 1)}",
            fmt.count(r["customers_median"], lang),
        ]
        for r in t.to_dict("records")
    ]
    axes = [parameter_label(f, s.base, lang) for f in s.fields]
    columns = [
        *axes,
        _("Median ARR"),
        _("80% range (P10–P90)"),
        _("P(ARR grows) ± se"),
        _("Customers (median)"),
    ]
    note = _(
        "{n} points over {axes}, {paths} paths each, seed {seed} for every point (common random "
        "numbers), figures at month {month}. ARR now: {arr}.",
        n=len(t),
        axes=" × ".join(axes),
        paths=fmt.count(s.paths, lang),
        seed=s.seed,
        month=s.base.horizon_months,
        arr=fmt.money(t.arr_start.iloc[0], cur, lang),
    )
    html = render(
        "page.html",
        lang,
        title=_("Sweep: {name}", name=s.base.name),
        notes=[note],
        items=[],
        paragraphs=[s.base.description] if s.base.description else [],
        figures=figs,
        sections=[{"heading": _("Every point"), "columns": columns, "rows": rows}],
    )
    return _atomic(Path(path), lambda p: Path(p).write_text(html, encoding="utf-8"))
