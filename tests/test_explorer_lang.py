"""The explorer in Japanese end to end: controls, notes, status line, messages and chart, no English left."""

from __future__ import annotations

import re

import pytest

from cssim.widgets import Explorer

from .helpers import english_left

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def explorer():
    e = Explorer(
        "scenarios/churn-floor-expansion.yaml", lang="ja", paths=500, preview_paths=500, workers=1
    )
    yield e
    e.close()


def _texts(widget, out: list[str]) -> list[str]:
    """Every description, value, placeholder and tooltip a reader can see in ``widget``'s tree."""
    for name in ("description", "value", "placeholder", "tooltip"):
        v = getattr(widget, name, None)
        if isinstance(v, str) and v:
            out.append(re.sub(r"<[^>]+>", " ", v))
    for child in getattr(widget, "children", ()):
        _texts(child, out)
    return out


def test_every_text_of_the_explorer_reads_japanese(explorer):
    names = [explorer.base.name, str(explorer.source), str(explorer.save_path.value)]
    names += [
        s.dist.describe() for specs in explorer._specs.values() for s in specs.values() if s.dist
    ]
    texts = [t for t in _texts(explorer.widget, []) if not re.fullmatch(r"[\d.,\s%-]+", t.strip())]
    assert texts
    for t in texts:
        assert not english_left(t, names), (t, english_left(t, names))
    status = explorer.status.value
    assert (
        "プレビュー: 500パス × 36か月、シード 42、共通の乱数。計算時間" in status
        and "ミリ秒" in status
    )


def test_status_after_a_full_run_and_the_plain_text_summary(explorer):
    explorer.paths.value = 1000
    explorer.update(full=True)
    assert "本計算: 1,000パス" in explorer.status.value
    summary = explorer.summary()
    assert summary.splitlines()[0] == explorer.base.name and "本計算" in summary
    assert "不確実" in summary and "Preview" not in summary and "Full run" not in summary


def test_typed_values_and_clamping_say_so_in_japanese(explorer):
    seg = next(iter(explorer.value_boxes))
    box = explorer.value_boxes[seg]["churn"]
    assert box.enter("2%") == pytest.approx(0.02) and "2% に設定しました" in box.message.value
    box.enter("50")
    assert "の外です" in box.message.value and "に設定しました" in box.message.value
    assert box.enter("abc") is None and "数値ではありません" in box.message.value
    explorer.reset()


def test_the_chart_and_kpi_view_read_japanese(explorer):
    chart = explorer._figure
    assert chart.ax_arr.get_title(loc="left") == "ARR(JPY)"
    assert chart.ax_cust.get_xlabel() == "月"
    assert [t.get_text() for t in chart.legend.get_texts()] == [
        "現在、P10〜P90",
        "ファイル、中央値",
        "現在、中央値",
    ]
    assert chart.ax_wf.get_title(loc="left").startswith("MRRの増減: 0か月目から")
    assert all(t.get_text().endswith("円") for t in chart.texts)
    view = explorer.kpi_view()
    assert list(view.columns)[1:] == ["ファイルの値", "現在", "変化"]
    assert view.iloc[0, 1].endswith("億円")


def test_save_messages_in_japanese(explorer, tmp_path):
    assert explorer.save(explorer.source) is None
    assert "このエクスプローラーで開いたシナリオです" in explorer.save_status.value
    out = explorer.save(tmp_path / "edited.yaml")
    assert out is not None and "に保存しました" in explorer.save_status.value
