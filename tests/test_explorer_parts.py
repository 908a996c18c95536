"""The explorer's parts: one KPI table for the widget and ``kpi_view``, words by kind in both languages,
the runner's reuse of the file's run, and saving that refuses what it cannot write, without a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import cssim
from cssim.widgets import Explorer
from cssim.widgets.preview import Runner
from cssim.words.chart_text import SpacedMoneyFormatter

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "growth-vs-churn.yaml"


@pytest.fixture(scope="module", params=["en", "ja"])
def explorer(request):
    e = Explorer(SCENARIO, workers=1, preview_paths=500, paths=500, seed=5, lang=request.param)
    yield e
    e.close()


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", html)]


def test_the_widget_shows_the_rows_of_kpi_view(explorer):
    """The KPI table is written once: the widget's HTML holds exactly kpi_view's header and cells."""
    explorer.controls["All customers"]["churn"].value = 0.04
    view = explorer.kpi_view()
    expected = list(view.columns) + [str(v) for row in view.itertuples(index=False) for v in row]
    assert _cells(explorer.kpi_table.value) == expected
    money = "億円" if explorer.t.lang == "ja" else "¥"
    assert view.iloc[0, 1].endswith(money) or view.iloc[0, 1].startswith(money)
    assert view.iloc[0, 3][0] in "-−" and view.iloc[0, 3].endswith("%")  # ARR fell
    assert view.iloc[3, 3].endswith("ポイント" if explorer.t.lang == "ja" else " pt")
    explorer.reset()


def test_the_chart_writes_money_in_the_readers_language(explorer):
    chart = explorer._figure
    assert isinstance(chart.ax_arr.yaxis.get_major_formatter(), SpacedMoneyFormatter)
    labels = [t.get_text() for t in chart.texts]
    if explorer.t.lang == "ja":
        assert all(x.endswith("円") for x in labels)
    else:
        assert all(x.startswith("¥") for x in labels), labels


def test_a_clamped_money_value_is_written_as_money(explorer):
    box = explorer.value_boxes["All customers"]["arpa"]
    assert box.enter("1e9") == box.slider.max
    assert ("万円" if explorer.t.lang == "ja" else "¥") in box.message.value
    assert "1e9" not in box.message.value
    explorer.reset()


def test_saving_to_a_folder_or_an_unwritable_place_says_so(explorer, tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    assert explorer.save(folder) is None
    assert (
        "フォルダー" if explorer.t.lang == "ja" else "is a folder"
    ) in explorer.save_status.value
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert explorer.save(blocker / "edited.yaml") is None  # its folder is a file
    assert ("書き込めません" if explorer.t.lang == "ja" else "cannot write") in (
        explorer.save_status.value
    )
    assert list(folder.iterdir()) == []


def test_the_runner_reuses_the_files_run_until_horizon_seed_or_paths_change():
    base = cssim.load_scenario(SCENARIO)
    runner = Runner(workers=1)
    edited = base.replace({"segments.0.churn.monthly": 0.04})
    result, baseline = runner.run(base, edited, seed=3, paths=500)
    again, same = runner.run(base, base, seed=3, paths=500)
    assert same is baseline and runner.last == (base, 3, 500)
    np.testing.assert_array_equal(again["arr"], baseline["arr"])
    assert (result["arr"][:, -1] <= baseline["arr"][:, -1]).all()  # common random numbers
    _, other = runner.run(base, base, seed=4, paths=500)
    assert other is not baseline
    _, longer = runner.run(base, base.replace({"horizon_months": 48}), seed=4, paths=500)
    assert longer.horizon == 48
