"""Every page cssim writes reads as a person wrote it, in both languages: no machine-assembled numbers or
words (issue 22's list).

The default report (English and Japanese), the batch index, the sweep, compare and levers pages, the
calibration page and the backtest page are rendered and their visible text (one line per block,
``<style>``, ``<script>`` and ``<pre>`` (YAML) left out) is scanned for:

- an ASCII hyphen as a minus sign before a number (``-60万円``: the minus is U+2212);
- 「10通り中8通り」 or "8 futures in 10" (the range is the 80% range, 80%区間);
- a half-width space after 。 (between Japanese sentences);
- ``.0`` on a whole percentage, duration, number of points or ratio (``20.0%``, ``10.0か月``);
- a ratio written ``3.3:1`` in Japanese (3.3倍);
- a range marked with an en dash in Japanese (〜 is the one mark) or with 〜 in English;
- ``0円`` / ``¥0`` on a cost's line, where a cost is not given (未設定 / not set);
- 「36か月目までに」 where the value at month 36 is meant, and 「月間」 (月額 or 月次).

The patterns are tested on text made to break each of them, so the scan can fail.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

import cssim
from tests.test_pages import BASE, _pages
from tests.test_report import rendered
from tests.test_report_text import page_lines

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample-mrr.csv"

_NUMBER_START = r"[¥$€£]?\d"
#: (name, pattern, languages it applies to)
PATTERNS: list[tuple[str, re.Pattern, tuple[str, ...]]] = [
    (
        "ASCII hyphen as a minus sign",
        re.compile(r"(?:^|[\s(（:：,、=〜~])-\s?" + _NUMBER_START),
        ("en", "ja"),
    ),
    ("「10通り中8通り」", re.compile(r"10通り中8通り|10通りの未来のうち8通り"), ("ja",)),
    ("8 futures in 10", re.compile(r"8 futures in 10"), ("en",)),
    ("a space after 。", re.compile(r"。[ \u00a0]"), ("ja",)),
    (
        ".0 on a whole value",
        re.compile(r"\d\.0+(?:%|か月|ポイント|倍| ?pt\b| ?months?\b|×)"),
        ("en", "ja"),
    ),
    ("a :1 ratio in Japanese", re.compile(r"\d:1\b"), ("ja",)),
    (
        "an en dash as a range mark in Japanese",
        re.compile(r"[\d%円万億倍]\s?–\s?[−+]?[¥$]?\d"),
        ("ja",),
    ),
    ("〜 in English", re.compile(r"〜"), ("en",)),
    ("0円 for a cost not given", re.compile(r"(?:CRC|コスト|費用).*(?<![\d.,])0円"), ("ja",)),
    (
        "¥0 for a cost not given",
        re.compile(r"(?i)(?:CRC|cost).*(?<![\d.,])¥0(?![\d.,])"),
        ("en",),
    ),
    ("「か月目までに」 for a value at a month", re.compile(r"か月目までに"), ("ja",)),
    ("「月間」 (月額 or 月次)", re.compile(r"(?<!か)月間"), ("ja",)),
]


def offences(text: str, lang: str) -> list[str]:
    """The lines of ``text`` that break a pattern, with the pattern's name."""
    out = []
    for line in text.splitlines():
        for name, pattern, langs in PATTERNS:
            if lang in langs and pattern.search(line):
                out.append(f"{name}: {line[:200]}")
    return out


@pytest.mark.parametrize(
    ("text", "lang", "name"),
    [
        ("純増MRR −65万円 (-100万円 – -25万円)", "ja", "ASCII hyphen as a minus sign"),
        ("Net new MRR -¥650K", "en", "ASCII hyphen as a minus sign"),
        ("10通り中8通りは 3.3億円〜3.72億円", "ja", "「10通り中8通り」"),
        ("8 futures in 10: ¥330M – ¥372M", "en", "8 futures in 10"),
        ("見込みです。 10通り", "ja", "a space after 。"),
        ("年20.0%", "ja", ".0 on a whole value"),
        ("CAC payback 10.0 months", "en", ".0 on a whole value"),
        ("LTV:CAC 3.3:1", "ja", "a :1 ratio in Japanese"),
        ("5.03億円 (4.88億円 – 5.18億円)", "ja", "an en dash as a range mark in Japanese"),
        ("¥330M 〜 ¥372M", "en", "〜 in English"),
        ("顧客維持コスト CRC（月額） 0円", "ja", "0円 for a cost not given"),
        ("CRC (a month) ¥0", "en", "¥0 for a cost not given"),
        ("36か月目までにARRが増える確率", "ja", "「か月目までに」 for a value at a month"),
        ("月間MRR", "ja", "「月間」 (月額 or 月次)"),
    ],
)
def test_each_pattern_catches_what_it_names(text, lang, name):
    assert any(o.startswith(name + ":") for o in offences(text, lang)), offences(text, lang)


def test_the_patterns_pass_text_written_the_one_way():
    ja = (
        "3.52億円（3.31億円〜3.73億円）。ARRは41.3%減ります。LTV/CAC 3.3倍、月3%→2%、"
        "−65万円、未設定、P10〜P90、1,764万円、10か月、36か月目に、月額5万円、36か月間の粗利"
    )
    en = "¥352M (¥331M – ¥373M); −¥650K; 3.3:1; 3% → 2% a month; not set; P10–P90; 10 months"
    assert offences(ja, "ja") == [] and offences(en, "en") == []


def _visible(path: Path) -> str:
    """The page's text as a reader sees it, less its ``<pre>`` blocks (a scenario's YAML is code)."""
    page = re.sub(r"<pre\b.*?</pre>", "", path.read_text(encoding="utf-8"), flags=re.S)
    return "\n".join(page_lines(page))


def _batch_index(tmp_path: Path, lang: str) -> Path:
    from cssim.reporting.batch_index import write_index
    from cssim.runs.batch import BatchResult

    headline = {
        "arr_start": 3.5e8,
        "arr_median": 3.2e8,
        "arr_p10": 3.0e8,
        "arr_p90": 3.4e8,
        "p_arr_grows": 0.2,
        "customers_median": 512,
        "month": 36,
    }
    entries = [
        {"slug": "a", "status": "failed", "name": "a", "source": "a.yaml", "error": "boom"},
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
    folder = tmp_path / f"batch-{lang}"
    folder.mkdir()
    return write_index(BatchResult(folder, entries), lang)


@pytest.fixture(scope="module")
def calibration():
    return cssim.calibrate(SAMPLE)


@pytest.fixture(scope="module")
def backtest():
    return cssim.backtest(SAMPLE, holdout=6, paths=200, seed=1)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_pages_have_none_of_the_patterns(tmp_path, lang, calibration, backtest):
    from cssim.reporting.backtest_report import write_backtest
    from cssim.reporting.calibration_report import write_report

    scenario = cssim.Scenario.from_dict(BASE)
    pages = list(_pages(scenario, tmp_path, lang))
    pages.append(_batch_index(tmp_path, lang))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = tmp_path / f"calibration-{lang}"
        cal.mkdir()
        pages.append(write_report(calibration, cal, lang))
        bt = tmp_path / f"backtest-{lang}"
        bt.mkdir()
        pages.append(write_backtest(backtest, bt, lang)[0])
    found = {p.name: offences(_visible(p), lang) for p in pages}
    assert not any(found.values()), {k: v[:8] for k, v in found.items() if v}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gvc", "ja"])
def test_the_default_report_has_none_of_the_patterns(kind, tmp_path_factory):
    page = rendered(kind, tmp_path_factory)
    lang = "ja" if kind == "ja" else "en"
    found = offences("\n".join(page_lines(page.html)), lang)
    assert not found, found[:12]
