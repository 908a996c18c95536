"""The sweep report: heatmaps (or curves) of P(ARR grows) and median ARR, with the break-even line."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..analysis.sweep import SweepResult
from ..model.result import _atomic, _money
from .htmlpage import esc, figure_img, page, table

__all__ = ["write_sweep_report"]


def _label(field: str) -> str:
    pct = any(
        k in field
        for k in ("churn", "rate", "expansion", "contraction", "margin", "growth", "probability")
    )
    return f"{field} (%)" if pct else field


def _scale(field: str, values) -> np.ndarray:
    return np.asarray(values, float) * (100 if "%" in _label(field) else 1)


def _heatmaps(s: SweepResult) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .charts import use_fonts

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)

    fy, fx = s.fields
    t = s.table
    ys, xs = np.sort(t[fy].unique()), np.sort(t[fx].unique())
    X, Y = np.meshgrid(_scale(fx, xs), _scale(fy, ys))
    arr0 = float(t["arr_start"].iloc[0])
    out = []
    for col, title, cmap, fmt in (
        ("p_arr_grows", "P(ARR grows) at the horizon", "RdYlGn", lambda v: f"{v:.0%}"),
        ("arr_ratio", "Median ARR at the horizon / ARR now", "RdYlGn", lambda v: f"{v:.2f}"),
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
                    ax.text(X[i, j], Y[i, j], fmt(Z[i, j]), ha="center", va="center", fontsize=7)
        ratio = data.pivot(index=fy, columns=fx, values="arr_ratio").loc[ys, xs].to_numpy()
        if min(ratio.shape) >= 2 and ratio.min() < 1 < ratio.max():
            cs = ax.contour(X, Y, ratio, levels=[1.0], colors="black", linewidths=2)
            ax.clabel(cs, fmt={1.0: "break-even: ARR flat"}, fontsize=8)
        _closed_form_line(ax, fx, fy, xs, ys)
        ax.set_xlabel(_label(fx))
        ax.set_ylabel(_label(fy))
        ax.set_title(title)
        out.append(figure_img(fig, title))
    return out


def _closed_form_line(ax, fx: str, fy: str, xs, ys) -> None:
    """For churn x annual growth: the flat-customer-base line c = (1 + g)^(1/12) - 1 (MODEL.md)."""
    if fx.endswith("acquisition.rate") and fy.endswith("churn.monthly"):
        g = np.linspace(xs.min(), xs.max(), 200)
        ax.plot(
            g * 100,
            ((1 + g) ** (1 / 12) - 1) * 100,
            "--",
            color="navy",
            label="flat customer base: c = (1+g)^(1/12) - 1",
        )
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, frameon=False)
    elif fx.endswith("churn.monthly") and fy.endswith("acquisition.rate"):
        g = np.linspace(ys.min(), ys.max(), 200)
        ax.plot(
            ((1 + g) ** (1 / 12) - 1) * 100,
            g * 100,
            "--",
            color="navy",
            label="flat customer base: c = (1+g)^(1/12) - 1",
        )
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, frameon=False)


def _curves(s: SweepResult) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .charts import use_fonts

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)

    (f,) = s.fields
    t = s.table.sort_values(f)
    x = _scale(f, t[f])
    cur = s.base.currency
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    a1.fill_between(x, t.arr_p10, t.arr_p90, alpha=0.2, color="#1f77b4", label="P10-P90")
    a1.plot(x, t.arr_median, color="#1f77b4", lw=2, label="median")
    a1.axhline(t.arr_start.iloc[0], color="black", lw=1, ls="--", label="ARR now")
    a1.set_ylabel(f"ARR at the horizon ({cur})")
    a1.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _money(v)))
    a2.errorbar(x, t.p_arr_grows, yerr=2 * t.p_arr_grows_se, fmt="o-", color="#2ca02c", capsize=3)
    a2.set_ylim(-0.02, 1.02)
    a2.set_ylabel("P(ARR grows)")
    for a in (a1, a2):
        a.set_xlabel(_label(f))
        a.grid(alpha=0.3)
    a1.legend(fontsize=8)
    return [figure_img(fig, f"ARR and P(ARR grows) across {f}")]


def write_sweep_report(s: SweepResult, path) -> Path:
    """Write the sweep's HTML report (self-contained), atomically."""
    figs = _heatmaps(s) if len(s.fields) == 2 else _curves(s)
    cur = esc(s.base.currency)
    t = s.table
    rows = [
        [
            *(f"{r[f]:.4g}" for f in s.fields),
            f"{_money(r['arr_median'])} {cur}",
            f"{_money(r['arr_p10'])} - {_money(r['arr_p90'])}",
            f"{r['p_arr_grows']:.1%} ± {r['p_arr_grows_se']:.1%}",
            f"{r['customers_median']:,.0f}",
        ]
        for r in t.to_dict("records")
    ]
    header = [*s.fields, "Median ARR", "P10 - P90", "P(ARR grows) ± se", "Customers (median)"]
    body = (
        f"<h1>Sweep: {esc(s.base.name)}</h1>"
        f"<p class='muted'>{len(t)} points over {esc(' x '.join(s.fields))}, {s.paths:,} paths each, "
        f"seed {s.seed} for every point (common random numbers), figures at month "
        f"{s.base.horizon_months}. ARR now: {_money(t.arr_start.iloc[0])} {cur}.</p>"
        f"<p>{esc(s.base.description)}</p>"
        + "".join(figs)
        + "<h2>Every point</h2>"
        + table(header, rows)
    )
    html = page(f"Sweep: {s.base.name}", body)
    return _atomic(Path(path), lambda p: Path(p).write_text(html, encoding="utf-8"))
