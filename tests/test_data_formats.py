"""One story in every billing format: each shipped example reads to the same customer x month MRR.

The examples in ``data/`` (written by ``data/make_examples.py``) re-tell the four-customer table ``TINY``
of ``tests/test_calibrate.py`` as a Japanese CP932 MRR table, an MRR table at subscription grain, a
customer x month sheet, a Stripe-style subscriptions export, ChartMogul-style invoice lines and a
Japanese invoice list. Each must give TINY's MRR matrix and so its movements; variants check what each
format refuses, how the format is chosen, and what the provenance says.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cssim
from cssim.data.calibrate import CalibrationError, movements
from cssim.data.history import _wide
from cssim.data.intake import read_billing
from cssim.data.synthetic import synthetic_mrr
from cssim.words.errors_text import scenario_error_text

from .billing_formats import subscription_periods

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TINY = np.array([[100, 150, 150, 0], [200, 100, 0, 100], [0, 50, 50, 80], [0, 0, 70, 60]], float)
#: the movements of TINY (tests/test_calibrate.py::test_movements_on_a_hand_made_table)
MOVEMENTS = {
    "mrr": [300, 300, 270, 240],
    "new_mrr": [np.nan, 50, 70, 0],
    "expansion_mrr": [np.nan, 50, 0, 30],
    "contraction_mrr": [np.nan, 100, 0, 10],
    "churned_mrr": [np.nan, 0, 100, 150],
    "reactivation_mrr": [np.nan, 0, 0, 100],
    "logo_churn": [np.nan, 0, 1 / 3, 1 / 3],
}
#: example file -> (format, currency, read options)
EXAMPLES = {
    "example-mrr-ja-cp932.csv": ("mrr", "JPY", {}),
    "example-mrr-subscriptions.csv": ("mrr", "JPY", {}),
    "example-wide.csv": ("wide", "JPY", {}),
    "example-subscriptions.csv": ("subscriptions", "JPY", {"as_of": "2024-04-30"}),
    "example-invoices.csv": ("invoices", "USD", {"as_of": "2024-04-30"}),
    "example-invoices-ja-cp932.csv": ("invoices", "JPY", {"as_of": "2024-04-30"}),
}


def matrix(reading) -> tuple[np.ndarray, list]:
    M, months, ids = _wide(reading.table)
    assert [str(m) for m in months] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert [i[-1] for i in ids] == ["A", "B", "C", "D"]  # cus_A ... map to A ...
    return M, months


def write(tmp_path: Path, text: str, name: str = "f.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def refused(path, lang_too: bool = True, **options) -> str:
    with pytest.raises(CalibrationError) as info:
        read_billing(path, **options)
    message = str(info.value)
    assert str(path) in message
    if lang_too:  # the same error in Japanese names the same file
        assert str(path) in scenario_error_text(info.value, "ja")
    return message


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_example_tells_the_same_story(name):
    fmt, currency, options = EXAMPLES[name]
    reading = read_billing(DATA / name, **options)
    M, months = matrix(reading)
    np.testing.assert_allclose(M, TINY, atol=0.01)
    h = movements(M, months)
    for column, values in MOVEMENTS.items():
        np.testing.assert_allclose(h[column].to_numpy(float), values, atol=1e-9, err_msg=column)
    p = reading.provenance
    assert (p.format, p.currency, p.detected) == (fmt, currency, True)
    assert p.customers == 4 and (p.first_month, p.last_month) == ("2024-01", "2024-04")


def test_the_examples_are_reproduced_byte_for_byte(tmp_path):
    spec = importlib.util.spec_from_file_location("make_examples", DATA / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.main(tmp_path):
        assert path.read_bytes() == (DATA / path.name).read_bytes(), path.name
    assert set(module.EXAMPLES) == set(EXAMPLES)


def test_the_docs_show_what_a_japanese_user_sees(tmp_path):
    docs = (ROOT / "docs" / "DATA_FORMATS.md").read_text(encoding="utf-8")
    shown = docs.split("## What a Japanese user sees")[1].split("```")[1].strip().splitlines()
    path = tmp_path / "売上.csv"
    path.write_bytes((DATA / "example-mrr-ja-cp932.csv").read_bytes())
    lines = read_billing(path).provenance.lines("ja")
    assert [line.replace(str(path), "売上.csv") for line in lines] == shown


# -- format A ---------------------------------------------------------------------------------------------


def test_cp932_japanese_table_reads_as_cp932_with_its_columns_named():
    data = (DATA / "example-mrr-ja-cp932.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("shift_jis")  # ㈱ and 髙 are CP932 only: strict Shift_JIS would fail
    p = read_billing(DATA / "example-mrr-ja-cp932.csv").provenance
    assert p.encoding == "CP932 (Shift_JIS)" and p.delimiter == ","
    assert p.columns == (("顧客コード", "customer"), ("対象月", "month"), ("月額(税抜)", "mrr"))
    assert p.unused == ("顧客名",) and p.currency_from == "default"
    lines = p.lines("ja")
    assert lines[0].startswith("読み込み: ") and "CP932 (Shift_JIS)" in lines[0]
    assert "顧客コード → 顧客" in lines[1] and "月額(税抜) → MRR（月額）" in lines[1]
    assert "通貨 JPY（通貨の列なし・既定値）" in lines[2]


def test_rows_of_different_subscriptions_are_summed_and_a_repeated_row_is_refused(tmp_path):
    p = read_billing(DATA / "example-mrr-subscriptions.csv").provenance
    assert any("summed" in n.text for n in p.assumptions)
    text = (DATA / "example-mrr-subscriptions.csv").read_text()
    again = write(tmp_path, text + text.splitlines()[3] + "\n")
    msg = refused(again)
    assert "the same subscription and month appear more than once: rows 4 and 14" in msg
    plain = write(tmp_path, "customer,month,mrr\nA,2024-01,1\nA,2024-01,2\n", "plain.csv")
    assert "the same customer and month appear more than once: rows 2 and 3" in refused(plain)


def test_english_and_japanese_aliases_and_parenthetical_units(tmp_path):
    text = "Customer ID,Reporting Month,MRR (JPY)\nA,2024-01,100\nB,2024-02,1000\n"
    r = read_billing(write(tmp_path, text))
    assert r.provenance.columns == (
        ("Customer ID", "customer"),
        ("Reporting Month", "month"),
        ("MRR (JPY)", "mrr"),
    )
    assert r.provenance.currency == "JPY" and r.provenance.currency_from == "header"
    thousands = write(tmp_path, "顧客番号,年月,売上(千円)\nA,2024年1月,1.5\n", "k.csv")
    assert read_billing(thousands).table["mrr"].tolist() == [1500.0]


# -- format C ---------------------------------------------------------------------------------------------


def test_a_total_row_that_does_not_add_up_is_refused(tmp_path):
    text = (DATA / "example-wide.csv").read_text(encoding="utf-8-sig")
    path = write(tmp_path, text.replace("300,300,270,240", "300,300,999,240"))
    msg = refused(path)
    assert "row 6 ('合計') is a total that does not equal the sum" in msg and "2024年3月" in msg
    p = read_billing(DATA / "example-wide.csv").provenance
    assert [(e.reason, e.rows) for e in p.excluded] == [("total_row", 1)]


def test_a_total_column_is_dropped_only_when_it_adds_up(tmp_path):
    good = "顧客名,2024-01,2024-02,合計\nA社,10,20,30\nB社,5,,5\n"
    r = read_billing(write(tmp_path, good))
    assert r.table["mrr"].sum() == 35 and r.provenance.format == "wide"
    assert any(
        "顧客名" in n.values[0][1] for n in r.provenance.assumptions
    )  # names tell customers apart
    bad = write(tmp_path, good.replace("A社,10,20,30", "A社,10,20,31"), "bad.csv")
    assert (
        "合計 is a total that does not equal the sum of the month columns in row 2 ('31')"
        in refused(bad)
    )


def test_a_sheet_that_skips_or_repeats_a_month_is_refused(tmp_path):
    skip = write(tmp_path, "customer,2024-01,2024-03\nA,1,1\n")
    assert "the month columns skip 2024-02" in refused(skip)
    twice = write(tmp_path, "customer,2024-01,2024年1月\nA,1,1\n", "twice.csv")
    assert "the month columns repeat a month" in refused(twice)


# -- format B ---------------------------------------------------------------------------------------------


def test_subscriptions_exclusions_churn_by_end_and_the_snapshot_warning():
    p = read_billing(DATA / "example-subscriptions.csv", as_of="2024-04-30").provenance
    assert {(e.reason, e.rows, e.amount) for e in p.excluded} == {
        ("trial", 1, 500.0),
        ("incomplete", 1, 100.0),
        ("free", 1, 0.0),
    }
    assert dict(p.columns)["id"] == "subscription"  # a bare id is the file's own entity
    assert dict(p.columns)["Customer ID"] == "customer"
    assert "Canceled At (UTC)" in p.unused  # churn is dated by Ended At, never by Canceled At
    assert any("one row per subscription" in n.text for n in p.warnings)


def test_a_mid_month_export_leaves_the_partial_month_out_and_says_so():
    r = read_billing(DATA / "example-subscriptions.csv")
    p = r.provenance
    assert (p.as_of, p.as_of_from, p.last_month) == ("2024-04-20", "data", "2024-03")
    said = "\n".join(p.lines())
    assert "2024-04 is left out: the data end on 2024-04-20, before the month ended" in said
    assert "2024-04 はデータが 2024-04-20 までで月末に届かないため除外しました" in "\n".join(
        p.lines("ja")
    )


def test_the_snapshot_warning_reaches_the_calibration_notes(tmp_path):
    rows = ["customer,start,end,mrr,status"]
    for i in range(60):
        end = f"2024-{3 + i % 9:02d}-15" if i % 3 == 0 else ""
        rows.append(
            f"c{i},2023-{1 + i % 12:02d}-10,{end},{100 + i},{'canceled' if end else 'active'}"
        )
    cal = cssim.calibrate(write(tmp_path, "\n".join(rows) + "\n"), as_of="2024-12-31")
    assert any("one row per subscription as it is now" in n for n in cal.notes)
    assert "one row per subscription as it is now" in cal.scenario.description


# -- format D ---------------------------------------------------------------------------------------------


def test_invoice_lines_leave_one_time_lines_and_tax_out():
    p = read_billing(DATA / "example-invoices.csv", as_of="2024-04-30").provenance
    assert [(e.reason, e.rows, e.amount) for e in p.excluded] == [("one_time", 1, 500.0)]
    assert "Left out: 1 one-time line ($500)." in p.lines()
    assert p.currency == "USD" and p.currency_from == "column"


def test_invoices_without_a_period_or_an_interval_are_refused(tmp_path):
    text = (DATA / "example-invoices-ja-cp932.csv").read_bytes().decode("cp932")
    cut = "\n".join(",".join(line.split(",")[:-1]) for line in text.splitlines()) + "\n"
    path = write(tmp_path, cut, encoding="cp932")
    msg = refused(path)
    assert "no service period and no billing interval" in msg and "interval='month'" in msg
    # with interval='month' every line is a month: B's annual 1,200 and D's set-up fee of 500 count
    # in April (the user said so; the provenance says it was assumed)
    r = read_billing(path, interval="month", as_of="2024-04-30")
    assert r.table.groupby("month")["mrr"].sum().iloc[-1] == 1200 + 80 + 60 + 500


# -- choosing the format ----------------------------------------------------------------------------------


def test_nothing_fits_names_the_closest_format_and_what_it_lacks(tmp_path):
    msg = refused(
        write(
            tmp_path, "Customer ID,Status,Start Date (UTC),Ended At (UTC)\nA,active,2024-01-01,\n"
        )
    )
    assert "missing column mrr/amount/unit_price/gross" in msg and "format=subscriptions" in msg
    assert "'Plan Amount'" in msg and "columns found: 'Customer ID', Status" in msg
    wide = refused(write(tmp_path, "顧客名,メモ\nA,x\n", "w.csv"))
    assert "format=wide" in wide and "two columns named by months" in wide


def test_a_file_that_reads_two_ways_asks_for_format(tmp_path):
    text = (
        "invoice,customer,status,period_start,period_end,amount\n"
        "in_1,A,active,2024-01-01,2024-02-01,100\n"
    )
    path = write(tmp_path, text)
    msg = refused(path)
    assert "format=invoices" in msg and "format=subscriptions" in msg and "pass format=" in msg
    r = read_billing(path, format="subscriptions", as_of="2024-01-31")
    assert r.provenance.format == "subscriptions" and not r.provenance.detected


def test_format_override_is_obeyed_and_checked(tmp_path):
    path = write(tmp_path, "customer,month,mrr\nA,2024-01,1\n")
    assert read_billing(path, format="mrr").provenance.detected is False
    assert "format must be one of mrr, cohort, subscriptions, wide, invoices" in refused(
        path, format="xls"
    )
    msg = refused(path, format="subscriptions")
    assert "missing columns start/created" in msg and "format=subscriptions" in msg


def test_the_cohort_table_reads_as_before(tmp_path):
    path = write(tmp_path, 'cohort,period,active\n2020-01,0,1000\n2020-01,1,"631"\n')
    r = read_billing(path)
    assert r.kind == "cohort" and r.table["active"].tolist() == [1000, 631]
    assert "not a thousands separator" in refused(
        write(tmp_path, 'cohort,period,active\nx,0,"1,0"\n', "c.csv")
    )


def test_backtest_runs_on_a_converted_file_as_on_the_canonical_table(tmp_path):
    """T25: conversion happens before both commands (a file read as subscriptions backtests the same)."""
    frame = synthetic_mrr(14, 150, churn=0.03, new_per_month=12.0, seed=2)
    canonical = tmp_path / "mrr.csv"
    frame.to_csv(canonical, index=False)
    periods = tmp_path / "subs.csv"
    periods.write_bytes(subscription_periods(frame, annual=False))
    a = cssim.backtest(canonical, holdout=2, paths=200, seed=1)
    b = cssim.backtest(periods, holdout=2, paths=200, seed=1, as_of="2023-03-31")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert b.calibration.provenance.format == "subscriptions"
    assert (
        a.calibration.scenario.to_dict()["segments"] == b.calibration.scenario.to_dict()["segments"]
    )
