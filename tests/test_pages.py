"""The pages besides the report (compare, sweep, levers, batch index): templates, two languages, only
content. Scenario text is data in both languages: a ``<script>`` name is shown, never run."""

from __future__ import annotations

import re
import warnings

import matplotlib

matplotlib.use("Agg")

import pytest

import cssim
from cssim.analysis.compare import compare
from cssim.analysis.sweep import sweep
from cssim.reporting.compare_report import write_compare_report
from cssim.reporting.outputs import write_levers_outputs as write_outputs
from cssim.reporting.sweep_report import write_sweep_report

XSS = "<script>alert(1)</script> 成長と解約"
BASE = {
    "name": XSS,
    "description": "説明 <img src=x onerror=alert(2)>",
    "horizon_months": 12,
    "segments": [
        {
            "name": "中小企業<b>",
            "customers": 200,
            "arpa": 30000,
            "acquisition": {"rate": 0.2},
            "churn": {"monthly": [0.02, 0.04]},
            "expansion": {"rate": 0.005},
        },
        {
            "name": "エンタープライズ",
            "customers": 20,
            "arpa": 400000,
            "acquisition": {"rate": 0.1},
            "churn": {"monthly": 0.005},
        },
    ],
}
#: what must never reach a page: warnings, tracebacks, the machine's paths, raw field paths, 3.5e+08
NOT_CONTENT = re.compile(
    r"Traceback|Warning|stderr|site-packages|/home/|/root/|/work/|/tmp/|churn\.monthly|"
    r"expansion\.rate|\d\.\d+e[+-]\d"
)


@pytest.fixture(scope="module")
def scenario():
    return cssim.Scenario.from_dict(BASE)


def _pages(scenario, out, lang):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        other = scenario.replace({"segments.エンタープライズ.churn.monthly": 0.003})
        c = compare([scenario, other], paths=100, seed=1, labels=["A", "B"])
        yield write_compare_report(c, out / f"compare-{lang}.html", lang=lang)
        s = sweep(scenario, {"churn.monthly": [0.01, 0.03]}, paths=100, seed=1)
        yield write_sweep_report(s, out / f"sweep-{lang}.html", lang=lang)
        files = write_outputs(scenario, out / f"levers-{lang}", paths=100, seed=1, lang=lang)
        yield next(p for p in files["files"] if str(p).endswith(".html"))


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_pages_are_content_only_in_both_languages(scenario, tmp_path, lang):
    for page in _pages(scenario, tmp_path, lang):
        html = page.read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in html, page
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
        assert "<img src=x" not in html
        bad = NOT_CONTENT.findall(html)
        assert not bad, (page.name, bad[:5])
        assert "data:image/png;base64," in html
        assert "http://" not in html and "https://" not in html
        if lang == "ja":
            assert "解約率" in html or "比較" in html, page.name
        else:
            assert not re.search(
                r"[\u3040-\u30ff]",
                html.replace("成長と解約", "")
                .replace("中小企業", "")
                .replace("エンタープライズ", "")
                .replace("説明", ""),
            ), page.name


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_batch_index_in_both_languages_keeps_its_script_and_escapes_names(tmp_path, lang):
    from cssim.reporting.batch_index import write_index
    from cssim.runs.batch import BatchResult

    headline = {
        "arr_start": 3.5e8,
        "arr_median": 3.52e8,
        "arr_p10": 3.0e8,
        "arr_p90": 4.0e8,
        "p_arr_grows": 0.6,
        "customers_median": 512,
        "month": 36,
    }
    entries = [
        {"slug": "a", "status": "failed", "name": XSS, "source": "a.yaml", "error": "boom"},
        {
            "slug": "b",
            "status": "ok",
            "name": "成長",
            "source": "b.yaml",
            "currency": "JPY",
            "headline": headline,
            "outputs": {"report": "b/report.html"},
        },
    ]
    html = write_index(BatchResult(tmp_path, entries), lang).read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "asc ? c : -c" in html and '"Segoe UI"' in html  # our own script and CSS, unescaped
    assert '<a href="b/report.html">成長</a>' in html
    money = "3.52億円" if lang == "ja" else "¥352M"
    assert money in html and "e+08" not in html
    assert ("シナリオ" in html) == (lang == "ja")


def test_only_pages_with_japanese_carry_the_webfont():
    """The report's own subsetter serves the pages: a face when the page has CJK text, none else."""
    from cssim.reporting.pages import render

    latin = render(
        "page.html",
        "en",
        title="Growth",
        notes=[],
        items=[],
        paragraphs=[],
        figures=[],
        sections=[],
    )
    japanese = render(
        "page.html",
        "en",
        title="成長と解約",
        notes=[],
        items=[],
        paragraphs=[],
        figures=[],
        sections=[],
    )
    assert "@font-face" not in latin and '"cssim-ja"' in latin  # named first, no face to load
    assert japanese.count("@font-face{font-family:'cssim-ja'") == 1
    assert japanese.index("@font-face") < japanese.index("</head>")
    assert len(japanese) - len(latin) < 60_000  # a subset of the glyphs used, not the 4 MB font
