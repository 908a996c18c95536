"""Numbers for people: Babel-formatted money, percentages, points and months in both languages."""

import math

import pytest

from cssim.words import formatting as fmt
from cssim.words.i18n import resolve_lang, translator


@pytest.mark.parametrize(
    ("x", "ja", "en"),
    [
        (352_000_000, "3.52億円", "¥352M"),
        (3_520_000, "352万円", "¥3.52M"),
        (3_520_000_000, "35.20億円", "¥3.52B"),
        (600_000_000, "6.00億円", "¥600M"),
        (17_640_000, "1,764万円", "¥17.6M"),
        (24_000_000, "2,400万円", "¥24.0M"),
        (765_000, "77万円", "¥765K"),
        (52_500, "5.25万円", "¥52.5K"),
        (50_000, "5万円", "¥50K"),
        (99_999_600, "1.00億円", "¥100M"),
        (9_800, "9,800円", "¥9,800"),
        (-352_000_000, "\u22123.52億円", "\u2212¥352M"),
    ],
)
def test_money_reads_as_people_write_it(x, ja, en):
    assert fmt.money(x, "JPY", "ja") == ja
    assert fmt.money(x, "JPY", "en") == en


def test_not_a_number_is_a_dash_not_nan():
    assert fmt.money(math.nan) == "–"
    assert fmt.percent(math.inf, "ja") == "–"


def test_percent_points_months():
    assert fmt.percent(0.0153, "ja") == "1.5%"
    assert fmt.percent(0.02, "en", sign=True) == "+2%"  # no .0 on a whole percentage
    assert fmt.percent(-0.413, "ja") == "\u221241.3%"  # a true minus
    assert fmt.months(10.0, "ja", 1) == "10か月"
    assert fmt.format_value(3.3, "ratio", "ja") == "3.3倍"
    assert fmt.format_value(3.3, "ratio", "en") == "3.3:1"
    assert fmt.span("3.30億円", "3.72億円", "ja") == "3.30億円〜3.72億円"
    assert fmt.span("¥330M", "¥372M", "en") == "¥330M \u2013 ¥372M"
    assert fmt.not_set("ja") == "未設定" and fmt.not_set("en") == "not set"
    assert fmt.sentences(["一つ。", "二つ。"], "ja") == "一つ。二つ。"
    assert fmt.points(-0.005, "ja") == "−0.5ポイント"
    assert fmt.points(0.01, "en") == "+1 pt"
    assert fmt.months(18, "ja") == "18か月"
    assert fmt.months(1, "en") == "1 month"
    assert fmt.count(12_345.4, "en") == "12,345"


def test_flag_wins_over_scenario_then_english():
    assert resolve_lang("en", "ja") == "en"
    assert resolve_lang(None, "ja") == "ja"
    assert resolve_lang(None, None) == "en"
    with pytest.raises(ValueError, match="not one of"):
        resolve_lang("fr")


def test_english_translator_is_the_identity():
    t = translator("en")
    assert t("Churn") == "Churn"
    assert t.n("{count} path", "{count} paths", 3) == "3 paths"


def test_format_frame_reads_like_a_person_wrote_it_in_both_languages():
    import pandas as pd

    from cssim.words.formatting import format_frame, styler

    df = pd.DataFrame({"arr": [3.522e8, 3.52e6], "churn": [0.03, 0.0081], "n": [12345.0, 2.0]})
    kinds = {"arr": "money", "churn": "percent", "n": "count"}
    ja = format_frame(df, kinds, "ja")
    assert list(ja["arr"]) == ["3.52億円", "352万円"]
    assert list(ja["churn"]) == ["3%", "0.81%"]
    assert list(format_frame(df, kinds, "en")["arr"]) == ["¥352M", "¥3.52M"]
    html = styler(df.assign(x=[1.234567e-5, 2.5e9]), kinds, "en").to_html()
    assert "e+" not in html and "e-0" not in html and "¥352M" in html


def test_a_finite_value_never_raises_in_any_format():
    """Every finite float, from the smallest subnormal to the largest double, formats in both languages
    (Babel's decimal arithmetic refuses numbers past about 1e28: issue 21 crashed levers on 1e300)."""
    values = [5e-324, 1e-300, 1.7976931348623157e308]
    values += [sign * 10.0**e * m for e in range(-12, 309) for m in (1.0, 3.7) for sign in (1, -1)]
    values = [v for v in values if math.isfinite(v)]
    for lang in ("en", "ja"):
        for v in values:
            texts = [fmt.money(v, cur, lang) for cur in ("JPY", "USD", "EUR")]
            texts += [fmt.number(v, lang, 2), fmt.count(v, lang), fmt.percent(v, lang)]
            texts += [fmt.points(v, lang), fmt.months(v, lang, 1)]
            texts += [fmt.format_value(v, k, lang) for k in fmt.KINDS]
            texts += fmt.tick_labels([v, 2 * v if math.isfinite(2 * v) else v / 2], lang)
            assert all(isinstance(t, str) and t for t in texts), (v, lang, texts)


def test_money_past_what_babel_writes_stays_readable():
    assert fmt.money(1e300, "JPY", "en") == "¥1e+300"
    assert fmt.money(-1e40, "USD", "en") == "\u2212$1e+40"
    assert fmt.money(1e300, "JPY", "ja") == "1e+300円"
    assert fmt.money(-1e40, "JPY", "ja") == "\u22121e+40円"
    assert fmt.money(1e24, "EUR", "ja") == "€1e+24"
    assert fmt.money(9.99e14, "JPY", "en") == "¥999T"
    assert fmt.number(1.7976931348623157e308, "en") == "1.8e+308"
    assert fmt.percent(1e300, "ja") == "1e+302%"
