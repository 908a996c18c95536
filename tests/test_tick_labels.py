"""Money ticks keep adjacent labels apart: the precision follows the tick spacing, in both languages."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from cssim.words import formatting as fm
from cssim.words.chart_text import money_ticks
from cssim.words.fonts import use_fonts

pytestmark = pytest.mark.filterwarnings("error")


def _drawn_ticks(formatter, low: float, high: float) -> list[str]:
    """Draw a line from ``low`` to ``high`` with ``formatter`` on the y axis; the tick labels shown."""
    use_fonts()  # Japanese units render (IPAexGothic after the Latin font)
    fig, ax = plt.subplots(figsize=(4, 3))
    try:
        ax.plot([0, 1], [low, high])
        ax.set_ylim(low, high)
        ax.yaxis.set_major_formatter(formatter)
        fig.savefig(io.BytesIO(), format="png", dpi=40)
        return [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize(
    ("low", "high"),
    [
        (1.98e8, 2.02e8),
        (2.0e8, 2.001e8),
        (3.52e8, 3.5202e8),
        (9.9e7, 1.01e8),
        (0, 6e8),
        (-3e6, 3e6),
    ],
)
def test_a_narrow_money_axis_shows_distinct_ticks(lang, low, high):
    for formatter in (money_ticks("JPY", lang), money_ticks(None, lang)):
        ticks = _drawn_ticks(formatter, low, high)
        assert len(ticks) >= 3, ticks
        assert len(set(ticks)) == len(ticks), (lang, low, high, ticks)


def test_japanese_ticks_read_oku_and_man():
    yen = _drawn_ticks(money_ticks("JPY", "ja"), 1.98e8, 2.02e8)
    assert all(t.endswith("億円") for t in yen), yen
    assert "2億円" in yen and any("." in t for t in yen), yen
    assert all(t.endswith("億") for t in _drawn_ticks(money_ticks(None, "ja"), 1.98e8, 2.02e8))


def test_english_ticks_carry_the_currency_symbol():
    assert _drawn_ticks(money_ticks("JPY", "en"), 0, 6e8)[1:3] == ["¥100M", "¥200M"]
    assert "\u2212$2M" in _drawn_ticks(money_ticks("USD", "en"), -3e6, 3e6)


def test_tick_labels_by_spacing():
    assert fm.tick_labels([2.0e8, 2.05e8, 2.1e8], "ja") == ["2億", "2.05億", "2.1億"]
    assert fm.tick_labels([9e8, 1e9, 1.1e9], "en") == ["900M", "1B", "1.1B"]
    assert fm.tick_labels([-5e7, 0, 5e7], "ja", "円") == ["\u22125,000万円", "0", "5,000万円"]
    assert fm.tick_labels([3.52e8], "ja") == ["3.52億"]
