"""One cell of a billing export -> a value: amounts, months, dates (Western and wareki), intervals.

Each parser takes the text as written and returns the value or a *fault* (a short code saying why the
cell cannot be read); :func:`parse_column` applies one over a column, once per distinct text, so a file
of a million rows with a few hundred distinct months costs a few hundred calls. The rules (issue 19):

- text is NFKC-normalised first: full-width digits, commas and ``￥`` become ``0-9 , ¥``;
- an amount may carry ``¥ \\ $ € £ 円`` or an ISO code, and is negative when written ``-1``, ``△1``,
  ``▲1`` or ``(1)``; a comma is read **only** as a thousands separator (``1,234,567``): ``100,5`` or
  ``1.234,56`` is a fault, never 1005 or 1.23456;
- a month is ``YYYY-MM``, ``YYYY/MM``, ``YYYYMM``, ``YYYY年M月``, ``Apr-24``, wareki ``令和6年1月`` or
  ``R6/1``, or any date;
- a date is ``YYYY-MM-DD`` (``/`` or ``.`` too) with an optional time and offset, ``YYYYMMDD``,
  ``YYYY年M月D日``, wareki ``R6/1/31``, ``R.06.01.31``, ``令和6年1月31日`` (``元年`` = year 1), or, in
  columns that hold instants, epoch seconds from 1990 to 2100. A wareki date must fall inside its era:
  令和 from 2019-05-01, 平成 1989-01-08 to 2019-04-30, 昭和 1926-12-25 to 1989-01-07.
  ``01/02/2024`` (day and month in an order that cannot be told) is a fault unless ``dayfirst`` is given.

Dates are held as int64 seconds since 1970-01-01 on the wall clock where they were written (no pandas
nanosecond bounds, so year 1 to 9999 are representable); a month as its ordinal, months since 1970-01
(the ordinal of ``pd.Period(freq="M")``).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = [
    "AMBIGUOUS",
    "COMMA",
    "EMPTY",
    "ERA",
    "NOT_DATE",
    "NOT_MONTH",
    "NOT_NUMBER",
    "amount",
    "date",
    "interval_months",
    "month",
    "nfkc",
    "parse_column",
]

# fault codes (0 = the cell reads)
EMPTY, NOT_NUMBER, COMMA, NOT_MONTH, NOT_DATE, AMBIGUOUS, ERA, NOT_INTERVAL = range(1, 9)

_EPOCH = _dt.date(1970, 1, 1).toordinal()
DAY = 86_400


def nfkc(text: str) -> str:
    """NFKC, stripped: ``"　２０２４年１月 "`` -> ``"2024年1月"``."""
    return unicodedata.normalize("NFKC", str(text)).strip()


# -- amounts ---------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_THOUSANDS = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
_SYMBOLS = "¥\\$€£円"
_CODE = re.compile(r"^[A-Za-z]{3}(?=[\s0-9.,(△▲+-])|(?<=[0-9.)\s])[A-Za-z]{3}$")


def amount(text: str) -> tuple[float, int]:
    """``(value, 0)`` for an amount as written, or ``(nan, fault)``.

    ``"￥50,000"``, ``"\\50,000"`` (a CP932 yen sign), ``"50,000円"``, ``"５０，０００"`` -> 50000;
    ``"△1,000"``, ``"(1,000)"``, ``"-¥1,000"`` -> -1000; ``"100,5"`` -> :data:`COMMA`.
    """
    s = nfkc(text)
    if not s:
        return math.nan, EMPTY
    negative = False
    for _ in range(4):  # signs, brackets, symbols and codes in any order around the digits
        before = s
        if s[:1] in "△▲-−":
            negative, s = not negative, s[1:].strip()
        elif s[:1] == "+":
            s = s[1:].strip()
        elif s[:1] == "(" and s[-1:] == ")":
            negative, s = not negative, s[1:-1].strip()
        s = s.strip(_SYMBOLS).strip()
        s = _CODE.sub("", s).strip()
        if s == before:
            break
    if _PLAIN.match(s):
        value = float(s)
    elif _THOUSANDS.match(s):
        value = float(s.replace(",", ""))
    elif "," in s and re.fullmatch(r"[0-9.,]+", s):
        return math.nan, COMMA
    else:
        return math.nan, NOT_NUMBER
    if not math.isfinite(value):
        return math.nan, NOT_NUMBER
    return (-value if negative else value), 0


# -- months and dates ------------------------------------------------------------------------------------

#: era -> (first year in the Western calendar minus 1, first day, last day)
ERAS = {
    "R": (2018, _dt.date(2019, 5, 1), _dt.date(9999, 12, 31)),
    "H": (1988, _dt.date(1989, 1, 8), _dt.date(2019, 4, 30)),
    "S": (1925, _dt.date(1926, 12, 25), _dt.date(1989, 1, 7)),
}
_ERA_NAMES = {"令和": "R", "平成": "H", "昭和": "S", "令": "R", "平": "H", "昭": "S"}
_MONTH_NAMES = {
    name: i + 1
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        )
    )
    for name in names
}

_TIME = r"(?:[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(rf"^(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){_TIME}$", re.I)
_ISO_LOOSE = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[T ].*)?$")
_YM = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})$")
_KANJI = re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?$")
_WAREKI = re.compile(
    r"^(?P<era>[RHS])\.?\s*(?P<y>\d{1,2}|元)[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?$", re.I
)
_WAREKI_KANJI = re.compile(
    r"^(?P<era>令和|平成|昭和)\s*(?P<y>\d{1,2}|元)年\s*(?P<m>\d{1,2})月(?:\s*(?P<d>\d{1,2})日)?$"
)
_DIGITS8 = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_DIGITS6 = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})$")
_NAMED = re.compile(r"^(?P<name>[A-Za-z]{3,9})\.?[-\s/']*(?P<y>\d{4}|\d{2})$")
_DMY = re.compile(rf"^(?P<a>\d{{1,2}})[-/.](?P<b>\d{{1,2}})[-/.](?P<y>\d{{4}}){_TIME}$", re.I)
_EPOCH_S = re.compile(r"^\d{9,10}$")
_EPOCH_LO, _EPOCH_HI = 631_152_000, 4_102_444_800  # 1990-01-01 and 2100-01-01, UTC


def _ordinal(y: int, m: int) -> int:
    return (y - 1970) * 12 + (m - 1)


def _wareki(era: str, y: str, m: str, d: str | None) -> tuple[int, int, int | None, int]:
    """Western (year, month, day or None, 0) or a fault (:data:`ERA` outside the era's dates)."""
    key = _ERA_NAMES.get(era, era.upper())
    offset, first, last = ERAS[key]
    year = offset + (1 if y == "元" else int(y))
    month = int(m)
    if not 1 <= month <= 12 or year < 1:
        return 0, 0, None, NOT_DATE
    if d is None:
        lo = _dt.date(year, month, 1)
        hi = (lo + _dt.timedelta(days=31)).replace(day=1) - _dt.timedelta(days=1)
        return year, month, None, 0 if hi >= first and lo <= last else ERA
    try:
        day = _dt.date(year, month, int(d))
    except ValueError:
        return 0, 0, None, NOT_DATE
    return year, month, int(d), 0 if first <= day <= last else ERA


def month(text: str, dayfirst: bool | None = None) -> tuple[int, int]:
    """``(ordinal, 0)`` for a month (or any date: its month) as written, else ``(0, fault)``."""
    s = nfkc(text)
    if not s:
        return 0, EMPTY
    for rx in (_YM, _DIGITS6):
        m = rx.match(s)
        if m:
            y, mo = int(m["y"]), int(m["m"])
            if rx is _DIGITS6 and not 1900 <= y <= 2200:
                return 0, NOT_MONTH
            return (_ordinal(y, mo), 0) if 1 <= mo <= 12 else (0, NOT_MONTH)
    m = _KANJI.match(s)
    if m and m["d"] is None:
        y, mo = int(m["y"]), int(m["m"])
        return (_ordinal(y, mo), 0) if 1 <= mo <= 12 else (0, NOT_MONTH)
    m = _WAREKI.match(s) or _WAREKI_KANJI.match(s)
    if m:
        y, mo, _, fault = _wareki(m["era"], m["y"], m["m"], m["d"])
        return (_ordinal(y, mo), 0) if not fault else (0, NOT_MONTH if fault == NOT_DATE else fault)
    m = _NAMED.match(s)
    if m and m["name"].lower() in _MONTH_NAMES:
        y = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
        return _ordinal(y, _MONTH_NAMES[m["name"].lower()]), 0
    m = _ISO_LOOSE.match(s)
    if m:  # a date with anything after it (a time, a zone): its month as written
        try:
            d = _dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return 0, NOT_MONTH
        return _ordinal(d.year, d.month), 0
    seconds, _, fault = date(s, dayfirst=dayfirst)
    if fault:
        return 0, NOT_MONTH if fault == NOT_DATE else fault
    d = _dt.date.fromordinal(_EPOCH + seconds // DAY)
    return _ordinal(d.year, d.month), 0


def date(
    text: str, *, instants: bool = False, dayfirst: bool | None = None
) -> tuple[int, int, int]:
    """``(seconds, flags, 0)`` for a date or time as written, else ``(0, 0, fault)``.

    ``seconds`` count from 1970-01-01 00:00 on the wall clock as written; ``flags`` has bit 1 when a time
    of day was written and bit 2 when the value is an instant in UTC (an offset or ``Z`` was written, in
    which case ``seconds`` are already UTC, or epoch seconds in a column of ``instants``).
    """
    s = nfkc(text)
    if not s:
        return 0, 0, EMPTY
    m = _ISO.match(s) or _KANJI.match(s) or _DIGITS8.match(s)
    if m and (m.re is not _KANJI or m["d"] is not None):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        if m.re is _DIGITS8 and not 1900 <= y <= 2200:
            return 0, 0, NOT_DATE
        return _clock(y, mo, d, m.groupdict())
    m = _WAREKI.match(s) or _WAREKI_KANJI.match(s)
    if m and m["d"] is not None:
        y, mo, d, fault = _wareki(m["era"], m["y"], m["m"], m["d"])
        return (0, 0, fault) if fault else _clock(y, mo, d, {})
    m = _DMY.match(s)
    if m:
        if dayfirst is None:
            return 0, 0, AMBIGUOUS
        d, mo = (m["a"], m["b"]) if dayfirst else (m["b"], m["a"])
        return _clock(int(m["y"]), int(mo), int(d), m.groupdict())
    if instants and _EPOCH_S.match(s) and _EPOCH_LO <= int(s) < _EPOCH_HI:
        return int(s), 3, 0
    return 0, 0, NOT_DATE


def _clock(y: int, mo: int, d: int, parts: dict) -> tuple[int, int, int]:
    try:
        day = _dt.date(y, mo, d)
    except ValueError:
        return 0, 0, NOT_DATE
    seconds = (day.toordinal() - _EPOCH) * DAY
    if parts.get("H") is None:
        return seconds, 0, 0
    h, mi, sec = int(parts["H"]), int(parts["M"]), int(parts.get("S") or 0)
    if h > 24 or mi > 59 or sec > 60:
        return 0, 0, NOT_DATE
    seconds += h * 3600 + mi * 60 + sec
    tz = (parts.get("tz") or "").upper()
    if not tz:
        return seconds, 1, 0
    if tz not in ("Z", "UTC", "GMT"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return seconds, 3, 0


# -- billing intervals -----------------------------------------------------------------------------------

_UNITS = {
    "day": 12 / 365,
    "daily": 12 / 365,
    "日": 12 / 365,
    "week": 12 / 52,
    "weekly": 12 / 52,
    "週": 12 / 52,
    "month": 1.0,
    "monthly": 1.0,
    "月": 1.0,
    "ヶ月": 1.0,
    "か月": 1.0,
    "カ月": 1.0,
    "ケ月": 1.0,
    "箇月": 1.0,
    "毎月": 1.0,
    "月額": 1.0,
    "月払い": 1.0,
    "月次": 1.0,
    "quarter": 3.0,
    "quarterly": 3.0,
    "四半期": 3.0,
    "半期": 6.0,
    "半年": 6.0,
    "semiannual": 6.0,
    "semiannually": 6.0,
    "half-year": 6.0,
    "year": 12.0,
    "yearly": 12.0,
    "annual": 12.0,
    "annually": 12.0,
    "年": 12.0,
    "毎年": 12.0,
    "年額": 12.0,
    "年払い": 12.0,
    "年次": 12.0,
    "年間": 12.0,
}


def interval_months(text: str) -> tuple[float, int]:
    """``(months per billing period, 0)``: ``month`` -> 1, ``year`` / ``年`` -> 12, ``3ヶ月`` -> 3,
    ``week`` -> 12/52, ``day`` -> 12/365; else ``(nan, fault)``."""
    s = nfkc(text).lower()
    if not s:
        return math.nan, EMPTY
    s = re.sub(r"^every\s+|^毎(?=.)|ごと$|毎$", "", s).strip()
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)?\s*(\D.*)", s)
    if not m:
        return math.nan, NOT_INTERVAL
    n = float(m[1]) if m[1] else 1.0
    unit = m[2].strip()
    months = _UNITS.get(unit) or (_UNITS.get(unit[:-1]) if unit.endswith("s") else None)
    if months is None or n <= 0:
        return math.nan, NOT_INTERVAL
    return n * months, 0


# -- columns ---------------------------------------------------------------------------------------------


def parse_column(values, parse, **options) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Apply ``parse`` (one of the parsers above) to each distinct text of ``values``.

    Returns the parsed arrays (one per item of the parser's result but the last) and the fault codes
    (int8, 0 where the cell reads). Amounts take a fast path: cells pandas reads as finite numbers
    (``1234``, ``-5``, ``1e3``: what :func:`amount` reads the same way) skip the parser.
    """
    text = values if isinstance(values, pd.Series) else pd.Series(values, dtype="str")
    text = text.reset_index(drop=True)
    if parse is amount:  # what pandas reads as a finite number, the parser reads the same
        out = np.array(pd.to_numeric(text, errors="coerce").to_numpy(float, na_value=np.nan))
        faults = np.zeros(len(text), dtype=np.int8)
        slow = ~np.isfinite(out)
        if slow.any():
            (out[slow],), faults[slow] = _by_value(text[slow], amount, {})
        return (out,), faults
    return _by_value(text, parse, options)


def _by_value(text: pd.Series, parse, options: dict) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    results = [parse("" if u is None or u != u else u, **options) for u in uniques]
    if not results:
        width = {amount: 2, month: 2, date: 3, interval_months: 2}.get(parse, 2)
        return tuple(np.zeros(0) for _ in range(width - 1)), np.zeros(0, dtype=np.int8)
    columns = [np.array([r[i] for r in results]) for i in range(len(results[0]))]
    return tuple(col[codes] for col in columns[:-1]), columns[-1][codes].astype(np.int8)
