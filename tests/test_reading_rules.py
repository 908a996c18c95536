"""The reading rules, one small hand-made file each: encodings, delimiters, amounts, months and dates,
time zones, the as-of date, currencies, tax, statuses, prorations, and errors in both languages.

Numbers in the test names follow the acceptance list of issue 19 (T7 ... T25) where one applies.
"""

from __future__ import annotations

import ast
import codecs
from pathlib import Path

import numpy as np
import pytest

import cssim
from cssim.data import cells
from cssim.data.calibrate import CalibrationError
from cssim.data.history import _wide, movements
from cssim.data.intake import read_billing
from cssim.words.errors_text import scenario_error_text, translate_message

from .helpers import english_left, shown_parts

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, data: str | bytes, name: str = "f.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def refused(path, **options) -> tuple[str, str]:
    """The English and Japanese error: both name the file, the Japanese keeps no English sentence."""
    with pytest.raises(CalibrationError) as info:
        read_billing(path, **options)
    english, japanese = str(info.value), scenario_error_text(info.value, "ja")
    assert str(path) in english and str(path) in japanese
    assert not english_left(japanese, shown_parts(info.value)), japanese
    return english, japanese


def mrr(reading) -> dict:
    t = reading.table
    return {(c, str(m)): v for c, m, v in zip(t["customer"], t["month"], t["mrr"], strict=True)}


# -- encodings and delimiters -----------------------------------------------------------------------------


def test_t7_utf8_japanese_is_read_as_utf8_not_cp932(tmp_path):
    path = write(tmp_path, "顧客ID,年月,月額\n顧客,2024-01,100\n")
    r = read_billing(path)
    assert r.table["customer"].tolist() == ["顧客"] and r.provenance.encoding == "UTF-8"
    bom = write(tmp_path, "\ufeff顧客ID,年月,月額\nA,2024-01,100\n", "bom.csv")
    assert read_billing(bom).provenance.encoding == "UTF-8 (BOM)"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_t8_utf16_with_bom_and_tabs(tmp_path, codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    path = write(tmp_path, bom + "顧客ID\t年月\t月額\nA\t2024年1月\t１００\n".encode(codec))
    r = read_billing(path)
    assert (r.provenance.encoding, r.provenance.delimiter) == ("UTF-16", "\t")
    assert mrr(r) == {("A", "2024-01"): 100.0}
    assert "区切り文字 タブ" in r.provenance.lines("ja")[0]


def test_semicolons_are_sniffed_and_quoted_delimiters_ignored(tmp_path):
    path = write(tmp_path, 'customer;month;mrr\n"A;1";2024-01;"1,500"\n')
    r = read_billing(path)
    assert r.provenance.delimiter == ";" and mrr(r) == {("A;1", "2024-01"): 1500.0}


@pytest.mark.parametrize(
    ("head", "says"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "this is an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "this is an Excel workbook (.xls)"),
        (b"customer,month,mrr\nA,2024-01,\x00\x00\n", "it holds NUL bytes"),
        (b"customer,month,mrr\n" + bytes(range(1, 9)) * 4 + b"\n", "it holds control characters"),
        (b"customer,month,mrr\nA,2024-01,1\n\x81 ", "byte 32 is not valid in either"),
    ],
)
def test_t9_files_that_are_not_csv_text_say_what_they_are(tmp_path, head, says):
    english, _ = refused(write(tmp_path, head + b"0" * 50))
    assert says in english
    if b"PK" in head[:2]:
        assert "save it as CSV (UTF-8 or CP932)" in english


@pytest.mark.parametrize(
    ("text", "says"),
    [  # kanji: not CP932 at all; kana only: CP932 reads half-width kana, the sign of EUC-JP
        ("顧客コード,対象月,月額\nあいうえお商事,2024-01,100\n", "neither UTF-8 nor CP932"),
        ("customer,month,mrr\nあいうえお,2024-01,100\nかきくけこ,2024-02,200\n", "probably EUC-JP"),
    ],
)
def test_t10_euc_jp_is_refused_not_read_as_nonsense(tmp_path, text, says):
    path = write(tmp_path, text.encode("euc_jp"))
    english, _ = refused(path)
    assert says in english and "encoding=" in english
    r = read_billing(path, encoding="euc_jp")
    assert r.table["customer"].tolist()[0] in ("あいうえお商事", "あいうえお")
    assert "encoding 'klingon' is not an encoding" in refused(path, encoding="klingon")[0]


def test_a_utf8_file_with_one_broken_byte_is_not_read_as_cp932(tmp_path):
    text = "顧客コード,対象月,月額\n" + "株式会社山田商事,2024-01,100\n" * 3
    path = write(tmp_path, text.encode() + b"\xff,2024-02,1\n")
    english, _ = refused(path)
    assert (
        f"the file is UTF-8 text up to byte {len(text.encode()) + 1}, which is not UTF-8" in english
    )
    kana = write(tmp_path, "customer,month,mrr\nｱｲｳ,2024-01,1\n".encode("cp932"), "kana.csv")
    # CP932 half-width kana are still read as CP932
    assert read_billing(kana).table["customer"].tolist() == ["ｱｲｳ"]


def test_empty_header_only_and_missing_files(tmp_path):
    assert "the file is empty" in refused(write(tmp_path, "  \n\n", "e.csv"))[0]
    assert "the table has no rows" in refused(write(tmp_path, "customer,month,mrr\n", "h.csv"))[0]
    assert "no such file" in refused(tmp_path / "none.csv")[0]
    assert "a folder" in refused(tmp_path)[0]


# -- amounts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "¥50,000",
        "￥50,000",
        "\\50,000",
        "50,000円",
        "５０，０００",
        "$50,000",
        "JPY 50000",
        "50000",
    ],
)
def test_yen_dollar_and_full_width_amounts(cell):
    assert cells.amount(cell) == (50000.0, 0)


def test_t11_a_comma_that_is_not_a_thousands_separator_is_refused_with_rows(tmp_path):
    path = write(
        tmp_path, 'customer,month,mrr\nA,2024-01,"1.234,56"\nB,2024-01,"100,5"\nC,2024-01,"1,000"\n'
    )
    english, japanese = refused(path)
    assert (
        "mrr has a comma that is not a thousands separator in row 2 ('1.234,56'), row 3 ('100,5')"
        in english
    )
    assert (
        "2行目 ('1.234,56')" in japanese and "3行目 ('100,5')" in japanese and "カンマ" in japanese
    )


def test_t12_negative_mrr_in_any_form_is_named(tmp_path):
    path = write(
        tmp_path,
        "customer,month,mrr\nA,2024-01,△100\nB,2024-01,(100)\nC,2024-01,-100\nD,2024-01,▲5\n",
    )
    english, japanese = refused(path)
    assert (
        "mrr is negative in row 2 ('△100'), row 3 ('(100)'), row 4 ('-100'), row 5 ('▲5')"
        in english
    )
    assert "負の値" in japanese


# -- months and dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "month"),
    [
        ("H31/4/30", "2019-04"),
        ("R1/5/1", "2019-05"),
        ("令和元年5月", "2019-05"),
        ("平成31年4月", "2019-04"),
        ("R.01/07/01", "2019-07"),
        ("㋿6年1月", "2024-01"),
        ("2024年1月", "2024-01"),
        ("2024年1月31日", "2024-01"),
        ("20240131", "2024-01"),
        ("202401", "2024-01"),
        ("Apr-24", "2024-04"),
        ("2024-01-31T23:30:00+09:00", "2024-01"),
    ],
)
def test_t13_months_in_every_form(cell, month):
    _ordinal, fault = cells.month(cell)
    assert fault == 0 and str(cssim.data.reading.parse_month(cell)) == month


def test_t13_wareki_outside_its_era_is_refused(tmp_path):
    path = write(
        tmp_path,
        "customer,month,mrr\nA,R1/4/30,1\nB,令和元年4月,1\nC,平成31年5月,1\nD,H31/4/30,1\n",
    )
    english, japanese = refused(path)
    assert "names a date outside its era" in english
    assert "row 2 ('R1/4/30'), row 3 ('令和元年4月'), row 4 ('平成31年5月')" in english
    assert "row 5" not in english and "元号の期間外" in japanese


def test_t14_day_and_month_in_an_unknown_order(tmp_path):
    path = write(tmp_path, "customer,month,mrr\nA,01/02/2024,1\n")
    english, _ = refused(path)
    assert (
        "cannot be told (01/02/2024 is 1 February or 2 January)" in english
        and "row 2 ('01/02/2024')" in english
    )
    assert mrr(read_billing(path, dayfirst=True)) == {("A", "2024-02"): 1.0}
    assert mrr(read_billing(path, dayfirst=False)) == {("A", "2024-01"): 1.0}


def test_months_that_are_not_months_name_the_column_as_written(tmp_path):
    path = write(tmp_path, "顧客ID,対象月,月額\nA,2024-13,1\nB,abc,1\nC,2024-02-30,1\n")
    english, japanese = refused(path)
    assert "対象月 is not a month" in english
    assert "row 2 ('2024-13'), row 3 ('abc'), row 4 ('2024-02-30')" in english
    assert "対象月 が月として読めません" in japanese


# -- time zone and as-of ---------------------------------------------------------------------------------


def test_t15_instants_are_put_into_months_on_the_business_clock(tmp_path):
    text = "Customer ID,Status,Start Date (UTC),Plan Amount,Interval\nA,active,2024-01-31 20:00,100,month\n"
    path = write(tmp_path, text)
    utc = read_billing(path, as_of="2024-02-29")
    tokyo = read_billing(path, as_of="2024-02-29", timezone="Asia/Tokyo")
    assert mrr(utc) == {("A", "2024-01"): 100.0, ("A", "2024-02"): 100.0}
    assert mrr(tokyo) == {("A", "2024-02"): 100.0}
    assert "time zone UTC (the default)" in utc.provenance.lines()[2]
    assert "time zone Asia/Tokyo (as given)" in tokyo.provenance.lines()[2]
    assert "unknown: give an IANA name" in refused(path, timezone="Mars/Olympus")[0]


def test_as_of_cuts_a_monthly_table_and_says_so(tmp_path):
    path = write(tmp_path, "customer,month,mrr\nA,2024-01,1\nA,2024-02,1\nA,2024-03,1\n")
    r = read_billing(path, as_of="2024-02-15")
    assert sorted(mrr(r)) == [("A", "2024-01")]
    assert "Months after 2024-02-15 are left out: 2024-02, 2024-03 (as_of)." in r.provenance.lines()
    assert "as_of 'soon' is not a date" in refused(path, as_of="soon")[0]
    assert sorted(mrr(read_billing(path, as_of="2024-02-29"))) == [
        ("A", "2024-01"),
        ("A", "2024-02"),
    ]


# -- currencies ------------------------------------------------------------------------------------------


def _currencies(jpy: int, usd_rows: tuple[int, ...]) -> str:
    lines = ["customer,month,mrr,currency"]
    for row in range(2, 2 + jpy + len(usd_rows)):
        lines.append(f"c{row},2024-01,100,{'USD' if row in usd_rows else 'JPY'}")
    return "\n".join(lines) + "\n"


def test_t16_several_currencies_are_refused_unless_fx_is_given(tmp_path):
    path = write(tmp_path, _currencies(40, (5, 9, 12)))
    english, japanese = refused(path)
    assert (
        "the amounts are in 2 currencies (JPY × 40: rows 2, 3, 4; USD × 3: rows 5, 9, 12)"
        in english
    )
    assert "5、9、12行目" in japanese
    r = read_billing(path, fx={"USD": 150})
    assert r.provenance.currency == "JPY" and r.table["mrr"].sum() == 40 * 100 + 3 * 100 * 150
    assert any("USD = 150" in dict(n.values)["rates"] for n in r.provenance.assumptions)
    assert "fx has no rate for USD" in refused(path, currency="JPY", fx={"EUR": 160})[0]


def test_t17_minor_units_are_divided_except_for_zero_decimal_currencies(tmp_path):
    text = "customer,plan__amount,currency,created,status,plan__interval\n"
    text += "A,10000,usd,1704067200,active,month\nB,100,jpy,1704067200,active,month\n"
    path = write(tmp_path, text)
    assert "2 currencies" in refused(path)[0]
    usd = read_billing(
        write(tmp_path, text.splitlines()[0] + "\n" + text.splitlines()[1] + "\n", "u.csv"),
        as_of="2024-01-31",
    )
    jpy = read_billing(
        write(tmp_path, text.splitlines()[0] + "\n" + text.splitlines()[2] + "\n", "j.csv"),
        as_of="2024-01-31",
    )
    assert mrr(usd) == {("A", "2024-01"): 100.0} and usd.provenance.currency == "USD"
    assert mrr(jpy) == {("B", "2024-01"): 100.0} and jpy.provenance.currency == "JPY"  # never /100


def test_t3b_dashboard_dollars_are_major_units_and_make_a_usd_scenario(tmp_path):
    text = (ROOT / "data" / "example-subscriptions.csv").read_text().replace(",jpy", ",usd")
    r = read_billing(write(tmp_path, text), as_of="2024-04-30")
    assert r.provenance.currency == "USD" and r.table.groupby("month")["mrr"].sum().tolist() == [
        300,
        300,
        270,
        240,
    ]


def test_a_given_currency_that_disagrees_with_the_file_is_refused(tmp_path):
    path = write(tmp_path, _currencies(3, ()))
    english, _ = refused(path, currency="USD")
    assert "currency=USD was given but the amounts are in JPY (currency)" in english
    assert read_billing(path, currency="USD", fx={"JPY": 0.0066}).provenance.currency == "USD"
    bad = write(tmp_path, "customer,month,mrr,currency\nA,2024-01,1,円\n", "bad.csv")
    assert "currency is not a currency code" in refused(bad)[0]


# -- tax -------------------------------------------------------------------------------------------------


def test_t18_tax_inclusive_amounts_need_the_rate(tmp_path):
    text = "請求書番号,請求先コード,請求日,合計(税込),請求周期\nI1,A,2024/01/01,110,月\n"
    path = write(tmp_path, text)
    english, japanese = refused(path)
    assert "合計(税込) includes tax" in english and "tax_included" in english and "税込" in japanese
    r = read_billing(path, tax_included=0.10, as_of="2024-01-31")
    assert mrr(r)[("A", "2024-01")] == pytest.approx(100.0)
    assert "tax_included must be a tax rate between 0 and 1" in refused(path, tax_included=10)[0]


# -- subscriptions ---------------------------------------------------------------------------------------


def test_t19_ending_one_of_two_subscriptions_is_contraction_not_churn(tmp_path):
    text = (
        "customer,subscription,start,end,mrr\n"
        "H,s1,2024-01-01,,100\nH,s2,2024-01-01,2024-03-15,50\nK,s3,2024-01-01,,10\n"
    )
    r = read_billing(write(tmp_path, text), as_of="2024-04-30")
    M, months, _ = _wide(r.table)
    h = movements(M, months)
    assert h["contraction_mrr"].tolist()[1:] == [0, 50, 0]  # at the end of March s2 has ended
    assert h["churned_customers"].tolist()[1:] == [0, 0, 0]


def test_canceled_at_is_the_end_only_without_an_end_column_and_with_a_warning(tmp_path):
    text = (
        "customer,created,canceled_at,amount,interval\nA,2024-01-05,2024-03-10T00:00:00Z,120,year\n"
    )
    r = read_billing(write(tmp_path, text), as_of="2024-04-30")
    assert mrr(r) == {("A", "2024-01"): 10.0, ("A", "2024-02"): 10.0, ("A", "2024-04"): 0.0}
    assert any(
        "canceled_at is taken as the end" in str(n.text).replace("{column}", "canceled_at")
        for n in r.provenance.warnings
    )


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ("B,2024-01-01,,1,zombie", "status is not a status cssim knows (active, past_due"),
        ("A,2024-02-01,2024-01-01,1,active", "end is before the start in row 2"),
        ("C,2024-01-01,,1,canceled", "end is empty for subscriptions that have ended in row 2"),
        ("D,2024-01-01,2024-02-30,1,canceled", "end is not a date (write 2024-03-31"),
    ],
)
def test_statuses_and_periods_that_cannot_be_read_are_named(tmp_path, rows, says):
    english, _ = refused(write(tmp_path, "customer,start,end,mrr,status\n" + rows + "\n"))
    assert says in english


# -- invoice lines ---------------------------------------------------------------------------------------


def test_t20_a_prorated_upgrade_counts_for_the_whole_period(tmp_path):
    text = (
        "invoice,customer,subscription,period_start,period_end,amount,prorated\n"
        "i1,A,s,2024-02-10T00:00:00Z,2024-03-10T00:00:00Z,100,false\n"
        "i2,A,s,2024-02-20T00:00:00Z,2024-03-10T00:00:00Z,32.76,true\n"
        "i3,A,s,2024-03-10T00:00:00Z,2024-04-10T00:00:00Z,150,false\n"
    )
    r = read_billing(write(tmp_path, text), as_of="2024-03-31")
    assert mrr(r)[("A", "2024-02")] == pytest.approx(150.0, abs=0.01)
    assert mrr(r)[("A", "2024-03")] == pytest.approx(150.0)


def test_credits_offset_their_period_and_periods_must_be_whole_months(tmp_path):
    head = "invoice,customer,type,period_start,period_end,amount\n"
    ok = (
        head
        + "i1,A,subscription,2024-01-01,2024-02-01,100\ni2,A,credit,2024-01-01,2024-02-01,-30\n"
    )
    assert mrr(read_billing(write(tmp_path, ok), as_of="2024-01-31")) == {("A", "2024-01"): 70.0}
    deep = (
        head + "i1,A,subscription,2024-01-01,2024-02-01,10\ni2,A,credit,2024-01-01,2024-02-01,-30\n"
    )
    assert (
        "credits make the MRR of a customer negative at a month end: row 2 ('A', 2024-01)"
        in refused(write(tmp_path, deep, "deep.csv"), as_of="2024-01-31")[0]
    )
    odd = head + "i1,A,subscription,2024-01-01,2024-01-20,100\n"
    assert (
        "period_end is not a whole number of months" in refused(write(tmp_path, odd, "odd.csv"))[0]
    )


def test_void_invoices_and_unknown_line_types(tmp_path):
    text = (
        "invoice,customer,status,type,period_start,period_end,amount\n"
        "i1,A,paid,subscription,2024-01-01,2024-02-01,100\n"
        "i2,B,void,subscription,2024-01-01,2024-02-01,100\n"
    )
    r = read_billing(write(tmp_path, text), format="invoices", as_of="2024-01-31")
    assert mrr(r) == {("A", "2024-01"): 100.0}
    assert [(e.reason, e.rows) for e in r.provenance.excluded] == [("void", 1)]
    bad = write(tmp_path, text.replace("void,subscription", "paid,gift"), "bad.csv")
    assert "type is not a line type cssim knows" in refused(bad, format="invoices")[0]


# -- through calibrate ------------------------------------------------------------------------------------


def test_calibrate_takes_the_reading_options_and_refuses_unknown_ones(tmp_path):
    path = write(tmp_path, "customer,month,mrr\nA,2024-01,1\n")
    with pytest.raises(TypeError, match="unexpected keyword argument 'timezon'"):
        cssim.calibrate(path, timezon="UTC")
    with pytest.raises(CalibrationError, match="only 1 month"):
        cssim.calibrate(path, as_of="2024-01-31", timezone="UTC", format="mrr")


def test_formulas_in_id_cells_are_read_as_text(tmp_path):
    path = write(
        tmp_path, 'customer,month,mrr\n"=HYPERLINK(""http://x"")",2024-01,1\n@SUM(A1),2024-01,2\n'
    )
    assert sorted(read_billing(path).table["customer"]) == ['=HYPERLINK("http://x")', "@SUM(A1)"]


# -- every message of the reading layer reads in Japanese -------------------------------------------------

_MODULES = [
    p
    for p in sorted((ROOT / "cssim" / "data").glob("*.py"))
    if p.stem not in ("calibrate", "fitting", "retention", "history", "backtest", "synthetic")
]


def _raised_messages():
    from .test_error_templates import _messages

    for path in _MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for n in ast.walk(tree):
            name = (
                getattr(n.func, "id", getattr(n.func, "attr", ""))
                if isinstance(n, ast.Call)
                else ""
            )
            if name in ("Problem", "_problem") and n.args:
                arg = n.args[-1] if name == "Problem" else n.args[0]
                for m in _messages(arg):
                    yield pytest.param(m, id=f"{path.stem}:{n.lineno}")
            if isinstance(n, ast.FunctionDef) and n.name == "_message":  # faults: one per kind
                for d in ast.walk(n):
                    if isinstance(d, ast.Dict):
                        for v in d.values:
                            for m in _messages(v):
                                yield pytest.param(m, id=f"{path.stem}:{v.lineno}")


RAISED = list(_raised_messages())


def test_the_reading_layer_raises_messages():
    assert len(RAISED) >= 60


@pytest.mark.parametrize("message", RAISED)
def test_every_reading_message_has_a_japanese_template(message):
    assert translate_message(message, "ja") != message, message


def test_the_fast_amount_path_agrees_with_the_parser():
    texts = ["1", "12.5", "007", "1e3", "1,000", "", " 5 ", "abc", "1.", "123456789012345678"]
    (fast,), codes = cells.parse_column(np.array(texts, dtype=object), cells.amount)
    for t, v, c in zip(texts, fast, codes, strict=True):
        slow, fault = cells.amount(t)
        assert c == fault and ((np.isnan(v) and np.isnan(slow)) or v == slow), t


def test_a_cohort_count_past_what_a_scenario_holds_is_named_not_a_crash(tmp_path, capsys):
    """Issue 21, item 1: 1e30 active customers crashed calibrate with an OverflowError (exit 1)."""
    from cssim import cli

    path = tmp_path / "c.csv"
    path.write_text(
        "cohort,period,active\nA,0,1000000000000000000000000000000\nA,1,1e19\nA,2,50\n",
        encoding="utf-8",
    )
    for lang, words in (
        ("en", "is more than 100,000,000 customers in row 2"),
        ("ja", "社を超えています"),
    ):
        args = ["--lang", lang, "calibrate", str(path), "--out", str(tmp_path / "x.yaml")]
        assert cli.main(args) == cli.BAD_INPUT
        err = capsys.readouterr().err
        assert words in err and "row 3" in err.replace("3行目", "row 3") and "Traceback" not in err
