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
        (3_520_000_000, "35.2億円", "¥3.52B"),
        (9_800, "9,800円", "¥9,800"),
        (-352_000_000, "-3.52億円", "-¥352M"),
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
    assert fmt.percent(0.02, "en", sign=True) == "+2.0%"
    assert fmt.points(-0.005, "ja") == "−0.5ポイント"
    assert fmt.points(0.01, "en") == "+1.0 pt"
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
    assert list(ja["churn"]) == ["3.00%", "0.81%"]
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
    assert fmt.money(-1e40, "USD", "en") == "-$1e+40"
    assert fmt.money(1e300, "JPY", "ja") == "1e+300円"
    assert fmt.number(1.7976931348623157e308, "en") == "1.8e+308"
    assert fmt.percent(1e300, "ja") == "1e+302%"
