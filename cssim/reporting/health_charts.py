"""Charts of customer health (usage states): the state mix over time and churn by state, drawn once in
the reader's language. Each takes a matplotlib ``ax`` (one is made if ``None``) and returns it."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from ..model.result import TOTAL, SimulationResult
from ..words.chart_text import chart_text, count_ticks
from ..words.fonts import use_fonts
from ..words.plaintext import finish_axes, plain

__all__ = ["STATE_COLORS", "churn_by_state", "state_mix"]

#: Colours of the states from the healthiest to the least healthy (green, amber, red, ...).
STATE_COLORS = ["#2a7f62", "#e69f00", "#c0392b", "#7b3294", "#555555"]


def _states_by_health(result: SimulationResult, segment: str) -> list[str]:
    """The states of ``segment`` (or all) from the healthiest (lowest churn multiplier) down."""
    segs = result.scenario.segments if segment == TOTAL else [result.scenario.segment(segment)]
    order: dict[str, float] = {}
    for seg in segs:
        if seg.health is None:
            continue
        for s in seg.health.states:
            m = s.churn_multiplier
            order.setdefault(s.name, float(m.median() if hasattr(m, "median") else m))
    return sorted(order, key=order.get)


def _new_ax(ax: Axes | None, size=(8, 4)) -> tuple[Axes, bool]:
    use_fonts()
    if ax is not None:
        return ax, False
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1], True


def state_mix(
    result: SimulationResult, segment: str = TOTAL, ax: Axes | None = None, lang: str | None = None
) -> Axes:
    """Customers by usage state over the months: the mean over paths, stacked (the means add up to the
    mean number of customers), the healthiest state at the bottom."""
    ax, own = _new_ax(ax)
    _ = chart_text(lang)
    names = _states_by_health(result, segment)
    months = result.months
    means = [np.nanmean(result.get(f"customers@{s}", segment), axis=0) for s in names]
    ax.stackplot(
        months,
        *means,
        labels=[plain(s) for s in names],
        colors=STATE_COLORS[: len(names)],
        alpha=0.85,
    )
    ax.set_xlim(0, result.horizon)
    ax.set_xlabel(_("Month"))
    ax.set_ylabel(_("Customers (mean over futures)"))
    ax.yaxis.set_major_formatter(count_ticks(lang))
    ax.legend(loc="upper left", fontsize="small", reverse=True)
    ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(_("Customers by usage state"))
    return finish_axes(ax, own)


def churn_by_state(
    result: SimulationResult, segment: str = TOTAL, ax: Axes | None = None, lang: str | None = None
) -> Axes:
    """Monthly logo churn of each usage state (mean over months 1..H and paths), with the segment's
    overall churn as a dashed line."""
    ax, own = _new_ax(ax)
    _ = chart_text(lang)
    names = _states_by_health(result, segment)
    rates = [_mean_rate(result, f"churned_customers@{s}", f"customers@{s}", segment) for s in names]
    overall = _mean_rate(result, "churned_customers", "customers", segment)
    y = np.arange(len(names))[::-1]
    ax.barh(y, [100 * r for r in rates], color=STATE_COLORS[: len(names)])
    for yi, r in zip(y, rates, strict=True):
        ax.annotate(
            f"{100 * r:.1f}%",
            (100 * r, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.axvline(100 * overall, color="#444444", linestyle="--", lw=1, label=_("All customers"))
    ax.set_yticks(y, [plain(s) for s in names])
    ax.set_xlabel(_("Monthly churn (%)"))
    ax.legend(loc="lower right", fontsize="small")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(_("Churn by usage state"))
    return finish_axes(ax, own)


def _mean_rate(result: SimulationResult, churned: str, customers: str, segment: str) -> float:
    """Customers who churned over customers at the start of the month, pooled over months and paths."""
    c = result.get(churned, segment)[:, 1:]
    n = result.get(customers, segment)[:, :-1]
    total = float(np.nansum(n))
    return float(np.nansum(c) / total) if total > 0 else float("nan")
