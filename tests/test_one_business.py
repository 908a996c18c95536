"""One business, one answer: the shipped sample written in every format calibrates to the same scenario.

``data/sample-mrr.csv`` is written (by ``tests/billing_formats.py``) as a CP932 file with Japanese
headers, yen amounts and wareki months, as subscription periods (some billed yearly), as a customer x
month sheet with a 合計 row, and as invoice lines with tax and one-time lines. ``cssim.calibrate`` on
each must give the same starting customers, ARPA and fitted parameters as on the canonical file: the
same numbers exactly, since every conversion is exact in yen.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cssim
from cssim.data.intake import read_billing

from .billing_formats import invoice_lines, japanese_cp932, subscription_periods, wide_sheet

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample-mrr.csv"

WRITERS = {
    "japanese-cp932.csv": (japanese_cp932, {}),
    "subscriptions.csv": (subscription_periods, {"as_of": "2026-01-31"}),
    "wide.csv": (wide_sheet, {}),
    "invoices.csv": (invoice_lines, {"as_of": "2026-01-31"}),
}


@pytest.fixture(scope="module")
def canonical():
    return cssim.calibrate(SAMPLE)


def _fitted(cal) -> dict:
    scenario = cal.scenario.to_dict()
    return {k: v for k, v in scenario.items() if k not in ("name", "description")}


@pytest.mark.parametrize("name", list(WRITERS))
def test_the_sample_in_every_format_fits_the_same_scenario(canonical, tmp_path, name):
    write, options = WRITERS[name]
    frame = pd.read_csv(SAMPLE, dtype={"customer": str, "month": str})
    path = tmp_path / name
    path.write_bytes(write(frame))
    cal = cssim.calibrate(path, **options)
    seg, base = cal.scenario.segments[0], canonical.scenario.segments[0]
    assert (seg.customers, seg.arpa) == (base.customers, base.arpa)
    assert _fitted(cal) == _fitted(canonical)
    pd.testing.assert_frame_equal(cal.summary(), canonical.summary())
    pd.testing.assert_frame_equal(cal.history, canonical.history)
    assert cal.scenario.currency == "JPY" and cal.provenance.currency == "JPY"
    assert cal.provenance.customers == canonical.provenance.customers == 2091


def test_the_japanese_file_is_read_as_cp932_and_said_so(tmp_path):
    frame = pd.read_csv(SAMPLE, dtype={"customer": str, "month": str}).head(400)
    path = tmp_path / "売上.csv"
    path.write_bytes(japanese_cp932(frame))
    lines = read_billing(path).provenance.lines("ja")
    assert lines[0] == (
        f"読み込み: {path}、文字コード CP932 (Shift_JIS)、区切り文字 カンマ、400 行、"
        "形式 mrr（顧客×月の MRR 表、見出しから判定）。"
    )
    assert (
        lines[1]
        == "列: 顧客コード → 顧客、対象月 → 月、月額(税抜) → MRR（月額）。使わない列: 顧客名。"
    )
    assert lines[2].startswith("通貨 JPY（通貨の列なし・既定値）、対象月 2023-01〜")
