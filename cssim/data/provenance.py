"""How a billing file was read, as a record and as a few lines in English or Japanese.

:class:`Provenance` holds the format (and whether it was detected or given), the encoding and delimiter,
which column became which role, the currency and time zone (and where each came from), the as-of date,
the months read, the rows excluded (with their reasons and amounts), the months left out, the
assumptions made and the warnings. :func:`provenance_lines` says it in a few lines::

    Read 売上.csv: CP932 (Shift_JIS), comma-separated, 12 rows; format mrr (MRR per customer and
    month), detected from the headers.
    Columns: 顧客コード → customer, 対象月 → month, 月額(税抜) → MRR (monthly); not used: 顧客名.
    Currency JPY (no currency column: the default); months 2024-01 to 2024-04; 4 customers.

The words come from the ``data`` catalog (:mod:`cssim.words.i18n`); numbers and money through
:mod:`cssim.words.formatting`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..words import formatting as fm
from ..words.i18n import N_, Translator
from .options import Exclusion, Note

__all__ = ["FORMAT_NAMES", "REASONS", "ROLE_NAMES", "Provenance", "provenance_lines"]

FORMAT_NAMES = {
    "mrr": N_("MRR per customer and month"),
    "cohort": N_("customers per cohort and period"),
    "subscriptions": N_("subscription periods"),
    "wide": N_("a customer x month sheet"),
    "invoices": N_("invoice lines"),
}
ROLE_NAMES = {
    "customer": N_("customer"),
    "customer_name": N_("customer"),
    "month": N_("month"),
    "mrr": N_("MRR (monthly)"),
    "amount": N_("amount"),
    "gross": N_("amount with tax"),
    "unit_price": N_("unit price"),
    "tax": N_("tax"),
    "quantity": N_("quantity"),
    "start": N_("start"),
    "created": N_("start"),
    "end": N_("end"),
    "canceled": N_("cancellation"),
    "trial_end": N_("trial end"),
    "status": N_("status"),
    "interval": N_("interval"),
    "interval_count": N_("intervals per period"),
    "currency": N_("currency"),
    "subscription": N_("subscription"),
    "entity": N_("subscription"),
    "invoice": N_("invoice"),
    "date": N_("invoice date"),
    "line_type": N_("line type"),
    "usage_type": N_("usage type"),
    "prorated": N_("prorated"),
    "cohort": N_("cohort"),
    "period": N_("period"),
    "active": N_("active customers"),
    "months": N_("MRR of each month"),
}
#: why rows were left out: (one row, several rows)
REASONS = {
    "trial": (N_("{n} trial"), N_("{n} trials")),
    "incomplete": (N_("{n} incomplete subscription"), N_("{n} incomplete subscriptions")),
    "paused": (N_("{n} paused subscription"), N_("{n} paused subscriptions")),
    "future": (N_("{n} subscription not started yet"), N_("{n} subscriptions not started yet")),
    "free": (N_("{n} free subscription"), N_("{n} free subscriptions")),
    "metered": (N_("{n} usage-based price"), N_("{n} usage-based prices")),
    "one_time": (N_("{n} one-time line"), N_("{n} one-time lines")),
    "usage": (N_("{n} usage line"), N_("{n} usage lines")),
    "tax_line": (N_("{n} tax line"), N_("{n} tax lines")),
    "void": (N_("{n} void or unpaid invoice line"), N_("{n} void or unpaid invoice lines")),
    "total_row": (N_("{n} total row"), N_("{n} total rows")),
    "total_column": (N_("{n} total column"), N_("{n} total columns")),
    "after_as_of": (N_("{n} row after the as-of date"), N_("{n} rows after the as-of date")),
}
_CURRENCY_FROM = {
    "column": N_("from the currency column"),
    "header": N_("from the column name"),
    "given": N_("as given"),
    "default": N_("no currency column: the default"),
}
#: reasons whose amount is a total (the others are monthly amounts)
_TOTALS = ("one_time", "usage", "tax_line", "void")
_DELIMITERS = {
    ",": N_("comma-separated"),
    "\t": N_("tab-separated"),
    ";": N_("semicolon-separated"),
}


@dataclass(frozen=True)
class Provenance:
    """How a file was read (see the module docstring). ``columns``: (header as written, role)."""

    source: str
    format: str
    detected: bool
    encoding: str
    delimiter: str
    rows: int
    columns: tuple[tuple[str, str], ...]
    unused: tuple[str, ...]
    currency: str
    currency_from: str
    timezone: str
    timezone_given: bool
    as_of: str
    as_of_from: str  # "given", "data" (the latest date in the file) or "" (monthly tables: none)
    first_month: str
    last_month: str
    customers: int
    excluded: tuple[Exclusion, ...] = ()
    left_out: tuple[Note, ...] = ()
    assumptions: tuple[Note, ...] = ()
    warnings: tuple[Note, ...] = ()

    def lines(self, lang: str | None = None) -> list[str]:
        """:func:`provenance_lines` of this record."""
        return provenance_lines(self, lang)

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _value(value, lang: str | None, currency: str) -> str:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        kind, x = value
        if kind == "count":
            return fm.count(x, lang)
        if kind == "money":
            return fm.money(x, currency, lang)
        return str(x)
    return str(value)


def note_text(note: Note, lang: str | None = None, currency: str = "JPY") -> str:
    """One :class:`Note` in ``lang``."""
    _ = Translator(lang or "en")
    return _(note.text, **{k: _value(v, lang, currency) for k, v in note.values})


def provenance_lines(provenance: Provenance, lang: str | None = None) -> list[str]:
    """How the file was read, in a few lines of ``lang`` (what ``cssim calibrate`` prints first)."""
    p = provenance
    _ = Translator(lang or "en")
    comma, semicolon = (", ", "; ") if _.lang == "en" else ("、", "、")
    how = _("detected from the headers") if p.detected else _("as given")
    fmt = _(
        "format {format} ({name}), {how}", format=p.format, name=_(FORMAT_NAMES[p.format]), how=how
    )
    rows = _("{n} rows", n=fm.count(p.rows, lang))
    if p.encoding:
        first = _(
            "Read {source}: {encoding}, {delimiter}, {rows}; {format}.",
            source=p.source,
            encoding=p.encoding,
            delimiter=_(_DELIMITERS.get(p.delimiter, p.delimiter)),
            rows=rows,
            format=fmt,
        )
    else:
        first = _(
            "Read {source} (a table in memory): {rows}; {format}.",
            source=p.source,
            rows=rows,
            format=fmt,
        )
    lines = [first]
    mapping = comma.join(f"{h} → {_(ROLE_NAMES.get(r, r))}" for h, r in p.columns)
    text = _("Columns: {mapping}.", mapping=mapping)
    if p.unused:
        text = _(
            "Columns: {mapping}; not used: {unused}.",
            mapping=mapping,
            unused=comma.join(p.unused),
        )
    lines.append(text)
    parts = [
        _(
            "currency {currency} ({how})",
            currency=p.currency,
            how=_(_CURRENCY_FROM.get(p.currency_from, p.currency_from)),
        )
    ]
    if p.format in ("subscriptions", "invoices"):
        parts.append(
            _("time zone {zone} (as given)", zone=p.timezone)
            if p.timezone_given
            else _("time zone {zone} (the default)", zone=p.timezone)
        )
    if p.first_month:
        parts.append(_("months {first} to {last}", first=p.first_month, last=p.last_month))
    if p.as_of:
        parts.append(
            _("as of {date} (as given)", date=p.as_of)
            if p.as_of_from == "given"
            else _("as of {date} (the latest date in the file)", date=p.as_of)
        )
    if p.format != "cohort":
        parts.append(_("{n} customers", n=fm.count(p.customers, lang)))
    said = _("{parts}.", parts=semicolon.join(parts))
    lines.append(said[:1].upper() + said[1:])
    if p.excluded:
        items = []
        for e in p.excluded:
            one, many = REASONS[e.reason]
            item = _(one if e.rows == 1 else many, n=fm.count(e.rows, lang))
            if e.amount:
                money = fm.money(e.amount, p.currency, lang)
                item = (
                    _("{item} ({amount})", item=item, amount=money)
                    if e.reason in _TOTALS
                    else _("{item} ({amount} a month)", item=item, amount=money)
                )
            items.append(item)
        lines.append(_("Left out: {items}.", items=comma.join(items)))
    for note in p.left_out:
        lines.append(note_text(note, lang, p.currency))
    for note in p.assumptions:
        lines.append(_("Assumed: {text}.", text=note_text(note, lang, p.currency)))
    for note in p.warnings:
        lines.append(_("Warning: {text}.", text=note_text(note, lang, p.currency)))
    return lines
