"""Numbers for people, by language: money, counts, percentages, points and months, in one place.

Every page, chart, widget and notebook table formats through these functions (Babel underneath), so a
figure reads the same everywhere. One style per number:

==============================  ===================  ====================
value                           English (``en``)     Japanese (``ja``)
==============================  ===================  ====================
money 352,000,000 JPY           ``¥352M``            ``3.52億円``
money 600,000,000 JPY           ``¥600M``            ``6.00億円``
money 17,640,000 JPY            ``¥17.6M``           ``1,764万円``
money 52,500 JPY                ``¥52.5K``           ``5.25万円``
money −6,500,000 JPY            ``−¥6.50M``          ``−650万円``
count 12,345                    ``12,345``           ``12,345``
percent 0.0153, 0.03            ``1.5%``, ``3%``     ``1.5%``, ``3%``
points 0.005 (a change)         ``+0.5 pt``          ``+0.5ポイント``
months 18, 10.0                 ``18 months``        ``18か月``, ``10か月``
ratio 3.3                       ``3.3:1``            ``3.3倍``
range                           ``¥330M – ¥372M``    ``3.30億円〜3.72億円``
==============================  ===================  ====================

The rules: Japanese money in 億円 (and 兆円) always has two decimals, so a column of ARR reads evenly
(``4.40億円`` beside ``4.01億円``); from 10万円 to 1億円 it is a whole number of 万円 with separators
(``1,764万円``); prices under 10万円 keep what they are set to (``5万円``, ``5.25万円``); under 1万円 the
yen in full (``9,800円``). English money keeps three significant digits from a million up, trailing zeros
included (``¥24.0M``, ``¥1.50M``), and a price under a million as set (``¥50K``, ``¥52.5K``). Other
currencies use Babel's compact form in both languages (``$3.52M``; ``$3.52億`` in Japanese). A whole
percentage, duration, ratio or number of points shows no ``.0`` (``3%``, ``10か月``, ``3倍``). Every
negative number has a true minus sign (U+2212), never a hyphen. A range has one mark per language
(:func:`span`): ``〜`` in Japanese, an en dash in English. A cost a scenario does not give reads
:func:`not_set` (``未設定`` / ``not set``), never ``0円``.
"""

from __future__ import annotations

import itertools
import math
import re

from .i18n import BABEL_LOCALE, resolve_lang

__all__ = [
    "MINUS",
    "RANGE_MARK",
    "change",
    "count",
    "format_frame",
    "format_value",
    "money",
    "months",
    "not_set",
    "number",
    "percent",
    "points",
    "ratio",
    "sentences",
    "span",
    "styler",
    "tick_labels",
    "with_range",
]

#: The minus sign of every negative number a person reads (U+2212), never an ASCII hyphen.
MINUS = "\u2212"
#: The one mark between the ends of a range, by language (:func:`span`).
RANGE_MARK = {"en": " \u2013 ", "ja": "\u301c"}

_LEADING_DIGITS = re.compile(r"\d+")


def _locale(lang: str | None) -> str:
    return BABEL_LOCALE[resolve_lang(lang)]


def _minus(text: str) -> str:
    """``text`` with its hyphen-minus signs as true minus signs (U+2212)."""
    return text.replace("-", MINUS)


def _trim(text: str) -> str:
    """A decimal without trailing zeros after its point: ``3.0`` -> ``3``, ``1.50`` -> ``1.5``."""
    if "." not in text:
        return text
    return text.rstrip("0").rstrip(".")


def _half_up(x: float, decimals: int) -> float:
    """``x`` rounded half away from zero, as people round (``76.5`` -> ``77``; Python's ``round``
    and Babel round half to even)."""
    from decimal import ROUND_HALF_UP, Decimal

    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def _plain(x: float, shift: int = 0) -> str:
    """``x x 10**shift`` in scientific notation (``1e+300``, ``1.8e+308``), for numbers past what
    Babel's decimal arithmetic writes (about 1e28); never overflows, even shifted."""
    mantissa, exponent = f"{x:.2e}".split("e")
    return f"{float(mantissa):g}e{int(exponent) + shift:+03d}"


def _compact(x: float, lang: str | None, significant: int = 3) -> str:
    from babel.numbers import format_compact_decimal

    loc = _locale(lang)
    whole = format_compact_decimal(abs(x), locale=loc, fraction_digits=0)
    lead = _LEADING_DIGITS.search(whole)
    digits = len(lead.group()) if lead else 1
    return format_compact_decimal(x, locale=loc, fraction_digits=max(0, significant - digits))


#: Japanese money: (from, unit, name, decimals), largest first; ``None`` decimals: as set, up to two
_YEN_UNITS = (
    (1e12, 1e12, "兆", 2),
    (1e8, 1e8, "億", 2),
    (1e5, 1e4, "万", 0),
    (1e4, 1e4, "万", None),
)


def _yen_ja(x: float) -> str:
    """Japanese yen by the rules of the module docstring: ``3.52億円``, ``1,764万円``, ``5.25万円``."""
    from babel.numbers import format_decimal

    sign = MINUS if x < 0 else ""
    a = abs(x)
    for i, (start, unit, name, decimals) in enumerate(_YEN_UNITS):
        if a < start:
            continue
        if decimals is None:  # under 10万円: three significant digits at most (5万円, 5.25万円)
            return f"{sign}{_trim(f'{_half_up(a / unit, 2):.2f}')}{name}円"
        scaled = _half_up(a / unit, decimals)
        if i > 0 and scaled * unit >= _YEN_UNITS[i - 1][0]:
            return _yen_ja(math.copysign(_YEN_UNITS[i - 1][0], x))  # 9,999.6万円 is 1.00億円
        fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
        return f"{sign}{format_decimal(scaled, format=fmt, locale='ja_JP')}{name}円"
    return f"{sign}{format_decimal(round(a), locale='ja_JP')}円"


#: English compact units from the largest (a thousand is ``K``, as money is written)
_EN_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def _money_en(x: float, currency: str) -> str:
    """English money: in full under 10,000 (``¥9,800``), three significant digits without trailing
    zeros under a million (``¥50K``, ``¥52.5K``, ``¥674K``), three significant digits from a million
    up, trailing zeros kept (``¥24.0M``, ``¥1.50M``, ``¥600M``)."""
    from babel.numbers import format_currency, get_currency_symbol

    sign = MINUS if x < 0 else ""
    a = abs(x)
    if round(a) < 10_000:
        return sign + format_currency(
            round(a), currency, locale="en_US", format="¤#,##0", currency_digits=False
        )
    symbol = get_currency_symbol(currency, locale="en_US")
    step = 10.0 ** (math.floor(math.log10(a)) - 2)
    r = _half_up(a / step, 0) * step  # three significant digits first, so 999.96M reads 1.00B
    unit, name = next((u, n) for u, n in _EN_UNITS if r >= u)
    scaled = round(r / unit, 6)
    if unit >= 1e6:
        text = f"{scaled:.{max(0, 2 - math.floor(math.log10(scaled)))}f}"
    else:  # under a million: three significant digits at most, no trailing zeros (¥50K, ¥52.5K)
        text = _trim(f"{scaled:.{max(0, 2 - math.floor(math.log10(scaled)))}f}")
    return f"{sign}{symbol}{text}{name}"


def money(x: float, currency: str = "JPY", lang: str | None = None, *, significant: int = 3) -> str:
    """Money for a reader: ``3.52億円`` / ``1,764万円`` in Japanese, ``¥352M`` in English (the rules
    are in the module docstring).

    Amounts under 10,000 are written in full (``9,800円``, ``¥9,800``). Not-a-number reads ``–``. A
    negative amount has a true minus sign (``−650万円``, ``−¥6.50M``). ``significant`` is the digits of
    other currencies' compact form.
    """
    if x is None or not math.isfinite(x):
        return "–"
    if abs(x) < _SCIENTIFIC_MONEY:
        try:
            return _money(x, currency, lang, significant)
        except ArithmeticError:  # past Babel's decimal precision
            pass
    # a thousand trillion and more (a typo or an overflow upstream) still reads, in scientific notation
    from babel.numbers import get_currency_symbol

    lang = resolve_lang(lang)
    sign = MINUS if x < 0 else ""
    if currency == "JPY" and lang == "ja":
        return f"{sign}{_plain(abs(x))}円"
    return f"{sign}{get_currency_symbol(currency, _locale(lang))}{_plain(abs(x))}"


#: From here money is written in scientific notation (1,000兆円, ¥1000T have no larger unit to read)
_SCIENTIFIC_MONEY = 1e15


def _money(x: float, currency: str, lang: str | None, significant: int) -> str:
    lang = resolve_lang(lang)
    loc = _locale(lang)
    if currency == "JPY" and lang == "ja":
        return _yen_ja(x)
    from babel.numbers import format_compact_currency, format_currency

    if lang == "en" and currency in ("JPY", "USD", "EUR", "GBP"):
        return _money_en(x, currency)
    if abs(x) < 10_000:
        return _minus(
            format_currency(round(x), currency, locale=loc, format="¤#,##0", currency_digits=False)
        )
    whole = format_compact_currency(abs(x), currency, locale=loc, fraction_digits=0)
    lead = _LEADING_DIGITS.search(whole)
    digits = len(lead.group()) if lead else 1
    return _minus(
        format_compact_currency(
            x, currency, locale=loc, fraction_digits=max(0, significant - digits)
        )
    )


def span(low: str, high: str, lang: str | None = None) -> str:
    """A range between two formatted values with the language's one range mark: ``3.30億円〜3.72億円``
    / ``¥330M – ¥372M``."""
    return f"{low}{RANGE_MARK[resolve_lang(lang)]}{high}"


def change(before: str, after: str, lang: str | None = None) -> str:
    """A value before and after a change: ``3% → 2%`` in English, ``3%→2%`` in Japanese."""
    arrow = "\u2192" if resolve_lang(lang) == "ja" else " \u2192 "
    return f"{before}{arrow}{after}"


def with_range(mid: str, low: str, high: str, lang: str | None = None) -> str:
    """A value with its range in brackets: ``3.52億円（3.30億円〜3.72億円）`` / ``¥352M (¥330M – ¥372M)``."""
    if resolve_lang(lang) == "ja":
        return f"{mid}（{span(low, high, 'ja')}）"
    return f"{mid} ({span(low, high, 'en')})"


def sentences(parts, lang: str | None = None) -> str:
    """Sentences joined as the language joins them: with a space in English, with none after
    Japanese 。 (a half-width space after 。 is a stray space)."""
    sep = "" if resolve_lang(lang) == "ja" else " "
    return sep.join(p for p in parts if p)


def not_set(lang: str | None = None) -> str:
    """What a cost the scenario does not give reads: ``未設定`` / ``not set`` (never ``0円``)."""
    from .i18n import N_, Translator

    return Translator(resolve_lang(lang))(N_("not set"))


def number(x: float, lang: str | None = None, digits: int = 0) -> str:
    """A plain number with the locale's grouping: ``12,345`` (``digits`` decimals)."""
    if x is None or not math.isfinite(x):
        return "–"
    from babel.numbers import format_decimal

    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    try:
        return _minus(format_decimal(x, format=fmt, locale=_locale(lang)))
    except ArithmeticError:  # past Babel's decimal precision
        return _plain(x)


def count(x: float, lang: str | None = None) -> str:
    """A count of customers or paths, rounded to a whole number: ``12,345``."""
    return number(round(x) if x is not None and math.isfinite(x) else x, lang)


def percent(x: float, lang: str | None = None, digits: int = 1, *, sign: bool = False) -> str:
    """A fraction as a percentage: ``0.0153`` -> ``1.5%`` (``+1.5%`` with ``sign``), at most
    ``digits`` decimals and no trailing zeros (``0.03`` -> ``3%``, not ``3.0%``); a true minus."""
    if x is None or not math.isfinite(x):
        return "–"
    from babel.numbers import format_percent

    fmt = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    try:
        text = format_percent(x, format=fmt, locale=_locale(lang))
        text = _minus(_trim(text[:-1]) + "%")
    except ArithmeticError:  # past Babel's decimal precision
        text = _plain(x, shift=2) + "%"
    if text in ("\u22120%",):
        text = "0%"
    return ("+" + text) if sign and x > 0 and text != "0%" else text


def points(x: float, lang: str | None = None, digits: int = 1) -> str:
    """A change of a rate in percentage points, always signed: ``+0.5 pt`` / ``+0.5ポイント``."""
    if x is None or not math.isfinite(x):
        return "–"
    value = _trim(number(abs(x) * 100, lang, digits))
    signed = ("+" if x > 0 else MINUS if x < 0 else "±") + value
    return f"{signed}ポイント" if resolve_lang(lang) == "ja" else f"{signed} pt"


def months(n: float, lang: str | None = None, digits: int = 0) -> str:
    """A duration in months: ``18 months`` / ``18か月`` (``1 month`` in English)."""
    if n is None or not math.isfinite(n):
        return "–"
    value = _trim(number(n, lang, digits))
    if resolve_lang(lang) == "ja":
        return f"{value}か月"
    return f"{value} month" if value == "1" else f"{value} months"


#: compact units of tick labels by language, largest first
_TICK_UNITS = {
    "en": ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")),
    "ja": ((1e12, "兆"), (1e8, "億"), (1e4, "万")),
}


def _spacing_decimals(step: float) -> int:
    """Decimals that tell ticks ``step`` apart: ``ceil(-log10(step))`` (at least 0), plus up to two
    more when the step needs them to be written exactly (a step of 0.25 shows two decimals)."""
    first = max(0, math.ceil(-math.log10(step) - 1e-9))
    for k in range(first, first + 3):
        scaled = step * 10**k
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return k
    return first


def tick_labels(values, lang: str | None = None, suffix: str = "", prefix: str = "") -> list[str]:
    """Compact labels for the ticks of a money axis, precise enough that adjacent ticks differ.

    Each tick takes the largest unit it reaches (``k``/``M``/``B``/``T`` in English,
    ``万``/``億``/``兆`` in Japanese) and as many decimals as the tick spacing needs in that unit:
    for a tick ``x`` in unit ``u`` and spacing ``d`` (the smallest gap between ticks),

        decimals = max(0, ceil(-log10(d / u)))

    (up to two more when ``d / u`` needs them to be written exactly: a step of 0.25 shows two), so ``2.00億, 2.05億, 2.10億`` reads ``2億, 2.05億, 2.1億``, never ``2億, 2億, 2億``. Trailing
    zeros are dropped (which never merges two different values at that precision). A lone tick keeps
    three significant digits. ``suffix`` follows the unit (``円`` for ``3.5億円``), ``prefix`` comes before
    the number (``¥`` for ``¥350M``); negative values get a true minus sign (U+2212) before both; zero
    reads ``0``.
    """
    from babel.numbers import format_decimal

    lang = resolve_lang(lang)
    xs = [float(v) for v in values]
    finite = sorted({x for x in xs if math.isfinite(x)})
    gaps = [b - a for a, b in itertools.pairwise(finite) if b > a]
    step = min(gaps) if gaps else None
    out = []
    for x in xs:
        if not math.isfinite(x):
            out.append("")
            continue
        if x == 0:
            out.append("0")
            continue
        unit, name = next(((u, n) for u, n in _TICK_UNITS[lang] if abs(x) >= u), (1.0, ""))
        scaled = abs(x) / unit
        try:
            if step is None:
                decimals = max(0, 2 - math.floor(math.log10(scaled)))
            else:
                decimals = _spacing_decimals(step / unit)
            decimals = min(decimals, 12)
            text = format_decimal(
                round(scaled, decimals), format="#,##0." + "#" * decimals, locale=_locale(lang)
            )
        except ArithmeticError:  # past Babel's decimal precision, or a step too fine to write
            out.append(("\u2212" if x < 0 else "") + prefix + _plain(abs(x)) + suffix)
            continue
        if decimals == 0:
            text = text.rstrip(".")
        out.append(("\u2212" if x < 0 else "") + prefix + text + name + suffix)
    return out


def ratio(x: float, lang: str | None = None, digits: int = 1) -> str:
    """A ratio to one: ``3.3:1`` in English, ``3.3倍`` in Japanese (as Japanese SaaS writes LTV/CAC);
    no trailing ``.0`` (``3:1``, ``3倍``)."""
    if x is None or not math.isfinite(x):
        return "–"
    value = _trim(number(x, lang, digits))
    return f"{value}倍" if resolve_lang(lang) == "ja" else f"{value}:1"


#: kinds of value :func:`format_value` knows
KINDS = ("money", "percent", "points", "months", "count", "number", "ratio", "times", "text")


def _fit_digits(v: float, kind: str) -> int:
    """As many decimals as ``v`` needs, up to a cap: a percentage one, or two where one would hide a
    digit (``3.0%``, ``0.81%``); a duration none or one; a number none or two."""
    if kind == "percent":
        return 1 if abs(v * 1000 - round(v * 1000)) < 1e-6 else 2
    whole = float(v).is_integer()
    return 0 if whole else 1 if kind == "months" else 2


def format_value(
    x,
    kind: str,
    lang: str | None = None,
    currency: str = "JPY",
    *,
    digits: int | str | None = None,
    per: str | None = None,
    sign: bool = False,
    missing: str | None = None,
) -> str:
    """One value by kind, the one "format by kind" of every page, table, chart and report.

    Kinds: ``money`` (in ``currency``: ``3.52億円`` / ``¥352M``), ``percent`` (``3.0%``), ``points``
    (``+0.5 pt``), ``months`` (``18か月``), ``count`` (``12,345``), ``number`` (up to four significant
    digits, never scientific notation), ``ratio`` (``3.3:1``), ``times`` (a multiple of a cost:
    ``4.0×`` / ``4.0倍``) or ``text``.

    Parameters
    ----------
    digits
        The decimals of a percentage, a number, a duration or a ratio. By default a percentage shows
        two below 10% and one above, a duration one where it is not whole, a ratio one. ``"fit"``
        shows as many as the value needs, up to a cap: a percentage one or two (``3.0%``, ``0.81%``),
        a duration none or one, a number none or two.
    per
        ``"month"`` or ``"year"``: the value is a rate over that period (``3.0% a month`` /
        ``月3.0%``).
    sign
        Write ``+`` before a positive money, percentage or number.
    missing
        What ``None`` and not-a-number read; by default ``None`` reads an empty cell and
        not-a-number ``–``.
    """
    if kind == "text":
        return "" if x is None else str(x)
    if x is None:
        return "" if missing is None else missing
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v) and missing is not None:
        return missing
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if not math.isfinite(v):
        return "–"
    if digits == "fit":
        digits = _fit_digits(v, kind)
    plus = "+" if sign and v > 0 else ""
    if kind == "money":
        text = plus + money(v, currency, lang)
    elif kind == "percent":
        if digits is None:
            digits = 2 if abs(v) < 0.1 else 1
        text = percent(v, lang, digits, sign=sign)
    elif kind == "points":
        text = points(v, lang)
    elif kind == "months":
        if digits is None:
            digits = 0 if float(v).is_integer() else 1
        text = months(v, lang, digits)
    elif kind == "count":
        text = count(v, lang)
    elif kind == "number":
        if digits is None:
            digits = 0 if v == 0 or abs(v) >= 1000 else max(0, 3 - math.floor(math.log10(abs(v))))
        text = plus + number(v, lang, min(digits, 6))
    elif kind == "ratio":
        text = ratio(v, lang, 1 if digits is None else digits)
    else:  # times
        from .i18n import Translator

        _ = Translator(resolve_lang(lang))
        text = _("{ratio}×", ratio=_trim(number(v, lang, 1)))
    if per is None:
        return text
    from .i18n import Translator

    _ = Translator(resolve_lang(lang))
    return _("{value} a month", value=text) if per == "month" else _("{value} a year", value=text)


def format_frame(df, kinds: dict[str, str], lang: str | None = None, currency: str = "JPY"):
    """A copy of ``df`` with the columns named in ``kinds`` as text for people (``3.52億円``, ``1.5%``).

    Columns not in ``kinds`` are left as they are. For a notebook table or a page: no value reads
    ``3.522000e+08``.
    """
    out = df.copy()
    for column, kind in kinds.items():
        out[column] = [format_value(v, kind, lang, currency) for v in df[column]]
    return out


def styler(df, kinds: dict[str, str], lang: str | None = None, currency: str = "JPY"):
    """A pandas Styler that shows ``df``'s numbers formatted by kind but keeps them numbers (sortable);
    other numeric columns get four significant digits without scientific notation."""
    formats = {c: (lambda v, k=k: format_value(v, k, lang, currency)) for c, k in kinds.items()}
    for c in df.columns:
        if c not in formats and df[c].dtype.kind in "fi":
            formats[c] = lambda v: format_value(v, "number", lang)
    return df.style.format(formats).hide(axis="index")


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: East Asian wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
