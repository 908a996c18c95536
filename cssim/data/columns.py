"""Which column plays which role, and which format the headers describe.

Headers are normalised (NFKC, lower case, a trailing ``(...)`` taken off and remembered, spaces,
``_ - . ・ /`` removed: ``Start Date (UTC)`` -> ``startdate`` marked UTC, ``月額(税抜)`` -> ``月額`` marked
tax-exclusive, ``売上(千円)`` -> ``売上`` in thousands of yen) and matched against the aliases of each
role (:data:`ALIASES`; a role takes the first column whose name is its highest-ranked alias). The roles
found decide the format (:func:`detect`):

========== ===================================================================================
format     what the file is, and the roles it needs
========== ===================================================================================
cohort     a cohort table: cohort, period, active
mrr        (A) MRR per customer and month: customer, month, and mrr (or an amount)
invoices   (D) invoice lines: customer, an amount, a service period or an invoice date, and an
           invoice id, line type or tax column
subscriptions (B) subscription or contract periods: customer, start, an amount or mrr, and an end,
           status or interval
wide       (C) one row per customer, one column per month (at least two headers that are months)
========== ===================================================================================

Detection runs in that order; a file that reads both as invoice lines and as subscription periods
(each with its own evidence) is refused, naming both, unless ``format=`` chooses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model.errors import Problem
from . import cells

__all__ = ["ALIASES", "FORMATS", "Header", "Layout", "detect", "normalise"]

FORMATS = ("mrr", "cohort", "subscriptions", "wide", "invoices")

#: role -> aliases, best first, as normalised by :func:`normalise` (a role's first alias is its name).
ALIASES: dict[str, tuple[str, ...]] = {
    "customer": (
        "customer",
        "customerid",
        "customerexternalid",
        "customercode",
        "customernumber",
        "accountcode",
        "accountid",
        "accountnumber",
        "account",
        "clientid",
        "顧客id",
        "顧客コード",
        "顧客番号",
        "顧客cd",
        "請求先コード",
        "請求先id",
        "取引先コード",
        "取引先id",
        "得意先コード",
        "会員id",
        "会員番号",
        "契約者id",
        "顧客",
    ),
    "customer_name": (
        "customername",
        "name",
        "company",
        "companyname",
        "顧客名",
        "取引先名",
        "得意先名",
        "請求先名",
        "会社名",
        "企業名",
        "社名",
    ),
    "subscription": (
        "subscription",
        "subscriptionid",
        "subscriptionexternalid",
        "subscriptionuuid",
        "contractid",
        "契約id",
        "契約番号",
        "請求情報番号",
    ),
    "entity": ("id", "uuid"),
    "cohort": ("cohort",),
    "period": ("period",),
    "active": ("active",),
    "month": (
        "month",
        "reportingmonth",
        "periodmonth",
        "年月",
        "月",
        "対象月",
        "対象年月",
        "請求月",
        "利用月",
        "計上月",
        "売上月",
    ),
    "mrr": (
        "mrr",
        "monthlyrecurringrevenue",
        "mrrbillingcurrency",
        "月額",
        "月額料金",
        "月額利用料",
    ),
    "start": (
        "startdate",
        "start",
        "startedat",
        "activatedat",
        "termstartdate",
        "effectivestartdate",
        "currenttermstart",
        "serviceperiodstart",
        "periodstart",
        "開始日",
        "契約開始日",
        "利用開始日",
        "サービス提供開始日",
        "請求対象期間開始日",
        "期間開始日",
    ),
    "created": ("created", "createdat", "作成日"),
    "end": (
        "endedat",
        "enddate",
        "end",
        "expiresat",
        "effectiveenddate",
        "termenddate",
        "serviceperiodend",
        "periodend",
        "終了日",
        "契約終了日",
        "利用終了日",
        "解約日",
        "請求対象期間終了日",
        "期間終了日",
    ),
    "canceled": ("canceledat", "cancelledat", "cancellationdate", "解約申込日"),
    "unit_price": ("planamount", "unitamount", "unitprice", "price", "planprice", "単価"),
    "amount": (
        "amount",
        "amountincents",
        "subtotal",
        "amountexcludingtax",
        "netamount",
        "税抜金額",
        "金額",
        "小計",
        "売上",
        "売上金額",
    ),
    "gross": ("total", "請求金額", "合計", "税込金額", "合計金額", "amountincludingtax"),
    "tax": ("tax", "taxamount", "taxamountincents", "消費税", "消費税額", "税額"),
    "quantity": ("quantity", "planquantity", "seats", "数量"),
    "interval": (
        "interval",
        "planinterval",
        "recurringinterval",
        "billingperiod",
        "intervalunit",
        "billingcycle",
        "請求周期",
        "課金周期",
        "請求サイクル",
        "支払周期",
    ),
    "interval_count": ("intervalcount", "planintervalcount", "recurringintervalcount"),
    "status": ("status", "state", "subscriptionstatus", "状態", "ステータス", "契約状態"),
    "currency": ("currency", "plancurrency", "currencycode", "billingcurrencycode", "通貨"),
    "line_type": ("type", "linetype", "chargetype", "請求タイプ", "種別", "請求種別"),
    "usage_type": ("usagetype", "recurringusagetype"),
    "trial_end": ("trialend", "trialendsat", "trialenddate", "トライアル終了日"),
    "invoice": (
        "invoice",
        "invoiceid",
        "invoiceexternalid",
        "invoicenumber",
        "請求書番号",
        "請求書id",
    ),
    "date": ("date", "invoicedate", "請求日", "取引日", "発行日", "請求書発行日"),
    "prorated": ("prorated", "proration", "日割"),
}

_PAREN = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*$")
_SEPARATORS = re.compile(r"[\s_\-.・/:]+")
_INCL = {"税込", "税込み", "inclusive of tax", "incl. tax", "incl tax", "tax incl", "including tax"}
_EXCL = {"税抜", "税抜き", "税別", "excl. tax", "excl tax", "tax excl", "excluding tax", "net"}
_SCALE = {"千円": ("JPY", 1_000.0), "万円": ("JPY", 10_000.0), "円": ("JPY", 1.0)}


@dataclass(frozen=True)
class Header:
    """A header as written and what its normalisation took off."""

    text: str
    key: str
    utc: bool = False
    tax: str = ""  # "incl", "excl" or ""
    currency: str = ""
    scale: float = 1.0
    month: int | None = None  # the month ordinal when the header itself is a month (wide sheets)


def normalise(text: str) -> Header:
    """``Start Date (UTC)`` -> ``Header(key="startdate", utc=True)`` (see the module docstring)."""
    s = cells.nfkc(text).lower()
    utc, tax, currency, scale = False, "", "", 1.0
    while True:
        m = _PAREN.search(s)
        if not m or m.start() == 0:
            break
        note = m.group(1).strip()
        s = s[: m.start()]
        if note in ("utc", "gmt"):
            utc = True
        elif note in _INCL:
            tax = "incl"
        elif note in _EXCL:
            tax = "excl"
        elif note in _SCALE:
            currency, scale = _SCALE[note]
        elif re.fullmatch(r"[a-z]{3}", note):
            currency = note.upper()
    key = _SEPARATORS.sub("", s)
    for mark, kind in (("税込", "incl"), ("税抜", "excl"), ("税別", "excl")):
        if key.endswith(mark) and len(key) > len(mark) and key not in ALIASES["amount"]:
            key, tax = key[: -len(mark)], kind
    if key in ("税込金額", "合計金額", "請求金額"):
        tax = tax or "incl"
    ordinal, fault = cells.month(text) if re.search(r"\d", str(text)) else (0, 1)
    return Header(str(text), key, utc, tax, currency, scale, None if fault else int(ordinal))


@dataclass
class Layout:
    """The roles found in a header row: ``roles[role]`` = the column index."""

    headers: list[Header]
    roles: dict[str, int] = field(default_factory=dict)
    month_columns: list[int] = field(default_factory=list)

    def has(self, *roles: str) -> bool:
        return all(r in self.roles for r in roles)

    def any(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    def written(self, role: str) -> str:
        """The header of ``role`` as written."""
        return self.headers[self.roles[role]].text

    def header(self, role: str) -> Header:
        return self.headers[self.roles[role]]


def layout(header_texts: list[str]) -> Layout:
    """Match each role to a column (see :data:`ALIASES`)."""
    headers = [normalise(h) for h in header_texts]
    out = Layout(headers)
    taken: set[int] = set()
    for role, aliases in ALIASES.items():
        for alias in aliases:
            i = next((i for i, h in enumerate(headers) if h.key == alias and i not in taken), None)
            if i is not None:
                out.roles[role] = i
                taken.add(i)
                break
    out.month_columns = [
        i for i, h in enumerate(headers) if h.month is not None and i not in taken and h.key
    ]
    return out


#: what each format needs: groups of roles, each satisfied by any one of its roles
NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "cohort": (("cohort",), ("period",), ("active",)),
    "mrr": (("customer",), ("month",), ("mrr", "amount", "gross")),
    "invoices": (
        ("customer",),
        ("amount", "gross", "unit_price"),
        ("start", "date"),
        ("invoice", "line_type", "tax"),
    ),
    "subscriptions": (
        ("customer",),
        ("start", "created"),
        ("mrr", "amount", "unit_price", "gross"),
        ("end", "status", "interval", "canceled"),
    ),
    "wide": (("customer", "customer_name"), ("2 month columns",)),
}

#: roles that only a subscriptions file has (used to tell invoice lines from subscription periods)
_SUBSCRIPTION_ONLY = ("status", "trial_end", "canceled")


def _missing(lay: Layout, fmt: str) -> list[tuple[str, ...]]:
    out = []
    for group in NEEDS[fmt]:
        if group == ("2 month columns",):
            if len(lay.month_columns) < 2:
                out.append(group)
        elif not lay.any(*group):
            out.append(group)
    return out


def fits(lay: Layout, fmt: str) -> bool:
    """Whether the roles of ``lay`` give what ``fmt`` needs (see :data:`NEEDS`)."""
    if _missing(lay, fmt):
        return False
    if fmt == "mrr":
        return not (lay.has("invoice") and not lay.has("mrr"))
    if fmt == "invoices" and not lay.has("date") and not lay.has("end"):
        return False
    if fmt in ("subscriptions", "wide"):
        return not lay.has("month")
    return True


def detect(lay: Layout, given: str | None) -> tuple[str | None, Problem | None]:
    """``(format, None)``, or ``(None, problem)`` naming the closest format and what it lacks."""
    if given is not None:
        if given not in FORMATS:
            return None, Problem(
                "format", f"format must be one of {', '.join(FORMATS)}, got {given!r}"
            )
        if fits(lay, given) or (given == "mrr" and not _missing(lay, "mrr")):
            return given, None
        return None, _missing_problem(lay, given)
    if fits(lay, "mrr"):
        return "mrr", None
    if fits(lay, "cohort"):
        return "cohort", None
    invoices, periods = fits(lay, "invoices"), fits(lay, "subscriptions")
    if invoices and periods and lay.any(*_SUBSCRIPTION_ONLY):
        return None, Problem(
            "format",
            "the file reads both as format=invoices (invoice lines) and as format=subscriptions "
            "(subscription periods): pass format= with one of them",
        )
    if invoices:
        return "invoices", None
    if periods:
        return "subscriptions", None
    if fits(lay, "wide"):
        return "wide", None
    ranked = sorted(FORMATS, key=lambda f: (len(_missing(lay, f)), FORMATS.index(f)))
    return None, _missing_problem(lay, ranked[0])


def _missing_problem(lay: Layout, fmt: str) -> Problem:
    missing = _missing(lay, fmt)
    found = ", ".join(_shown(h.text) for h in lay.headers) or "none"
    if not missing:  # the roles are there but the file also holds what rules the format out
        clash = "month" if lay.has("month") else "invoice"
        return Problem(
            "format",
            f"format={fmt} does not take a {lay.written(clash)!r} column; pass another format= or "
            "remove the column",
        )
    if fmt == "wide":
        return Problem(
            "",
            "missing columns: the closest format, format=wide, needs a customer column and at least "
            f"two columns named by months, such as 2024-01 or 2024年1月 (columns found: {found})",
        )
    names = ", ".join("/".join(g) for g in missing)
    needs = ", ".join("/".join(g) for g in NEEDS[fmt])
    examples = ", ".join(repr(x) for g in missing for r in g for x in EXAMPLES.get(r, ()))
    return Problem(
        "",
        f"missing columns {names}: the closest format, format={fmt}, needs {needs}; columns are "
        f"recognised by names such as {examples} (columns found: {found})"
        if len(missing) > 1
        else f"missing column {names}: the closest format, format={fmt}, needs {needs}; columns "
        f"are recognised by names such as {examples} (columns found: {found})",
    )


#: names shown in messages as examples of each role's columns
EXAMPLES = {
    "customer": ("customer", "Customer ID", "顧客コード"),
    "customer_name": ("顧客名",),
    "month": ("month", "年月", "対象月"),
    "mrr": ("mrr", "月額"),
    "amount": ("amount", "金額(税抜)"),
    "gross": ("合計(税込)",),
    "unit_price": ("Plan Amount", "単価"),
    "start": ("start_date", "Start Date (UTC)", "開始日"),
    "created": ("created",),
    "end": ("ended_at", "終了日"),
    "status": ("status", "ステータス"),
    "interval": ("interval", "請求周期"),
    "canceled": ("canceled_at",),
    "date": ("date", "請求日"),
    "invoice": ("invoice", "請求書番号"),
    "line_type": ("type",),
    "tax": ("tax", "消費税"),
    "cohort": ("cohort",),
    "period": ("period",),
    "active": ("active",),
}


def _shown(text: str) -> str:
    """A header as messages show it: quoted when it holds spaces or commas."""
    return repr(text) if re.search(r"[\s,']", text) or not text else text
