"""The comparison page: scenarios side by side on common random numbers, as one self-contained page."""

from __future__ import annotations

from pathlib import Path

from ..analysis.compare import Comparison
from ..model.atomic import atomic as _atomic
from ..model.metrics import METRICS
from ..words import formatting as fmt
from ..words.fonts import use_fonts
from ..words.i18n import Translator
from ..words.labels import metric_label
from .charts import embed
from .pages import render

__all__ = ["write_compare_report"]


def write_compare_report(
    c: Comparison, path, sources: list[str] | None = None, lang: str = "en"
) -> Path:
    """Write the distribution of each difference against the first scenario and P(B beats A)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_fonts()  # Japanese names render (IPAexGothic after the Latin font)
    _ = Translator(lang)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    c.plot(axes=axes, lang=lang)
    fig.tight_layout()
    chart = embed(fig, _("Scenarios compared"))
    s = c.summary()
    cur = c.results[0].scenario.currency
    unit = METRICS[c.metric].unit if c.metric in METRICS else ""

    def v(x, signed: bool = False):
        if unit == "currency":
            return fmt.format_value(x, "money", lang, cur, sign=signed)
        if c.metric in ("nrr", "grr") or "churn" in c.metric:
            return fmt.format_value(x, "percent", lang, digits=1, sign=signed)
        return fmt.format_value(x, "number", lang, digits=0 if abs(x) >= 100 else 2)

    rows = [
        [
            r.scenario,
            f"{v(r.mean_diff, True)} ± {v(2 * r.mean_diff_se)}",
            fmt.span(v(r.p10_diff, True), v(r.p90_diff, True), lang),
            f"{fmt.percent(r.p_beats, lang, 1)} ± {fmt.percent(r.p_beats_se, lang, 1)}",
        ]
        for r in s.itertuples()
    ]
    ref = c.results[0]
    items = [
        {
            "label": lab,
            "name": r.scenario.name,
            "source": src,
            "description": r.scenario.description,
        }
        for (lab, r), src in zip(
            zip(c.labels, c.results, strict=True), sources or [""] * len(c.labels), strict=True
        )
    ]
    note = _(
        "{paths} paths, seed {seed} for every scenario (common random numbers): path i of each run "
        "shares its random numbers, so each difference is the scenarios' doing, not noise. "
        "Metric: {metric} at month {month}.",
        paths=fmt.count(ref.paths, lang),
        seed=ref.seed,
        metric=metric_label(c.metric, lang),
        month=c.month,
    )
    html = render(
        "page.html",
        lang,
        title=_("Comparison: {names}", names=_(" vs ").join(r.scenario.name for r in c.results)),
        notes=[note],
        items=items,
        paragraphs=[],
        figures=[chart],
        sections=[
            {
                "heading": _("Against {label}", label=c.labels[0]),
                "columns": [
                    _("Scenario"),
                    _("Mean difference ± 2 se"),
                    _("80% range of the difference (P10–P90)"),
                    _("P(beats the first) ± se"),
                ],
                "rows": rows,
            }
        ],
    )
    return _atomic(Path(path), lambda p: Path(p).write_text(html, encoding="utf-8"))
