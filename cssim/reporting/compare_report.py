"""The comparison report: scenarios side by side on common random numbers, as one self-contained page."""

from __future__ import annotations

from pathlib import Path

from ..analysis.compare import Comparison
from ..model.result import _atomic, _money
from .htmlpage import esc, figure_img, page, table

__all__ = ["write_compare_report"]


def write_compare_report(c: Comparison, path, sources: list[str] | None = None) -> Path:
    """Write the distribution of each difference against the first scenario and P(B beats A)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .charts import use_fonts

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    c.plot(axes=axes)
    fig.tight_layout()
    chart = figure_img(fig, "Scenarios compared")
    s = c.summary()
    cur = esc(c.results[0].scenario.currency)
    money = c.metric in ("arr", "mrr", "new_mrr", "gross_profit")

    def v(x):
        return f"{_money(x)} {cur}" if money else f"{x:,.4g}"

    rows = [
        [
            esc(r.scenario),
            v(r.mean_diff)
            + f" ± {_money(2 * r.mean_diff_se) if money else f'{2 * r.mean_diff_se:.3g}'}",
            f"{v(r.p10_diff)} – {v(r.p90_diff)}",
            f"{r.p_beats:.1%} ± {r.p_beats_se:.1%}",
        ]
        for r in s.itertuples()
    ]
    ref = c.results[0]
    names = "".join(
        f"<li><b>{esc(lab)}</b>: {esc(r.scenario.name)}"
        + (f" <span class='muted'>({esc(src)})</span>" if sources else "")
        + f"<br><span class='muted'>{esc(r.scenario.description)}</span></li>"
        for (lab, r), src in zip(
            zip(c.labels, c.results, strict=True), sources or [""] * len(c.labels), strict=True
        )
    )
    body = (
        f"<h1>Comparison: {esc(' vs '.join(r.scenario.name for r in c.results))}</h1>"
        f"<p class='muted'>{ref.paths:,} paths, seed {ref.seed} for every scenario (common random "
        f"numbers): path i of each run shares its random numbers, so each difference is the scenarios' "
        f"doing, not noise. Metric: {esc(c.metric)} at month {c.month}.</p><ul>{names}</ul>"
        + chart
        + f"<h2>Against {esc(c.labels[0])}</h2>"
        + table(
            [
                "Scenario",
                "Mean difference ± 2 se",
                "P10 – P90 of the difference",
                "P(beats the first) ± se",
            ],
            rows,
        )
    )
    html = page("Comparison", body)
    return _atomic(Path(path), lambda p: Path(p).write_text(html, encoding="utf-8"))
