"""The reading layer: any accepted billing export -> the one internal table, and how it was read.

:func:`read_billing` opens the file (:mod:`~cssim.data.textfile`: encoding, delimiter, chunks), matches
its headers to roles and picks the format (:mod:`~cssim.data.columns`), converts it with the format's
reader (:mod:`~cssim.data.mrr_table`, :mod:`~cssim.data.subscriptions`, :mod:`~cssim.data.wide`,
:mod:`~cssim.data.invoices`; a cohort table goes to :mod:`~cssim.data.reading` as before) and returns the
table every fit reads (``row, customer, month, mrr``: MRR at each month end; or ``row, cohort, period,
active``) with a :class:`~cssim.data.provenance.Provenance`. Every problem found is raised at once as a
:class:`~cssim.data.reading.CalibrationError` naming the file, the column, the rows (the header is
row 1) and the cells as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.errors import Problem
from ..words.i18n import N_
from . import columns as cols
from .converted import Converted
from .options import Note, ReadOptions, check_options
from .periods import complete_to
from .provenance import Provenance
from .reading import CalibrationError, _span_problem, _validate_cohorts
from .textfile import ENCODING_NAMES, TableError, TextTable, open_table

__all__ = ["Reading", "read_billing", "read_data"]


@dataclass(frozen=True)
class Reading:
    """What :func:`read_billing` returns: the table, its kind (``"mrr"`` or ``"cohort"``), the name
    used in messages and how the file was read."""

    table: pd.DataFrame
    kind: str
    source: str
    provenance: Provenance


def read_billing(
    data,
    *,
    source: str | None = None,
    format: str | None = None,
    encoding: str | None = None,
    timezone: str | None = None,
    as_of=None,
    currency: str | None = None,
    fx: dict | None = None,
    tax_included: float | None = None,
    interval: str | None = None,
    dayfirst: bool | None = None,
) -> Reading:
    """Read a billing export of any accepted format into the customer x month MRR table.

    Parameters
    ----------
    data : path or DataFrame
        A CSV file (UTF-8 with or without BOM, UTF-16 with BOM, or CP932; comma, tab or semicolon) or a
        table of cells.
    source : str, optional
        The name used in messages (default: the path).
    format : {"mrr", "cohort", "subscriptions", "wide", "invoices"}, optional
        Overrides the format detected from the headers.
    encoding : str, optional
        Overrides the detected encoding (e.g. ``"euc_jp"``).
    timezone : str, optional
        IANA time zone of the business (default UTC): instants (``(UTC)`` columns, offsets, epoch
        seconds) are bucketed into months on its clock.
    as_of : date or str, optional
        The last day the data describe (default: the latest date in a subscriptions or invoices file);
        a month that ends after it is left out and named.
    currency : str, optional
        The scenario's currency (default: the file's currency column, else JPY).
    fx : dict, optional
        ``{"USD": 150}``: the value of one unit of each other currency in the scenario's currency.
    tax_included : float, optional
        The tax rate included in tax-inclusive amounts (``0.10``), to take it out.
    interval : str, optional
        The billing interval of invoice lines that have neither a service period nor an interval column.
    dayfirst : bool, optional
        Read ``01/02/2024`` as 1 February (True) or 2 January (False); by default such dates are refused.

    Raises
    ------
    CalibrationError
        Naming the file, the column, the rows and the cells that cannot be read.
    """
    is_frame = isinstance(data, pd.DataFrame)
    source = source or ("<DataFrame>" if is_frame else str(Path(data)))
    opts, problems = check_options(
        timezone=timezone,
        as_of=as_of,
        currency=currency,
        fx=fx,
        tax_included=tax_included,
        interval=interval,
        dayfirst=dayfirst,
    )
    if problems:
        raise CalibrationError(source, problems)
    try:
        table = open_table(data, source, encoding=encoding)
        lay = cols.layout(table.header)
        fmt, problem = cols.detect(lay, format)
        if problem is not None:
            raise CalibrationError(source, [problem])
        if fmt == "cohort":
            return _cohorts(table, lay, source, format is None)
        conv = _convert(fmt, table, lay, opts)
    except TableError as e:
        raise CalibrationError(source, [e.problem]) from None
    problems = opts.faults.problems() + conv.problems
    if problems:
        raise CalibrationError(source, problems)
    clean, problems = _finish(conv, lay, opts, fmt)
    if problems:
        raise CalibrationError(source, problems)
    return Reading(
        clean, "mrr", source, _provenance(table, lay, fmt, format is None, conv, clean, opts)
    )


def _convert(fmt: str, table: TextTable, lay: cols.Layout, opts: ReadOptions) -> Converted:
    if fmt == "mrr":
        from .mrr_table import convert
    elif fmt == "subscriptions":
        from .subscriptions import convert
    elif fmt == "wide":
        from .wide import convert
    else:
        from .invoices import convert
    return convert(table, lay, opts)


def _finish(
    conv: Converted, lay: cols.Layout, opts: ReadOptions, fmt: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """The clean table: months up to the last complete one, the span checked."""
    frame = conv.frame
    last = conv.complete_to
    if opts.as_of is not None and conv.as_of_from == "":  # a monthly table: as_of cuts months
        last = complete_to(opts.as_of)
    if last is not None:
        after = frame["month"].to_numpy() > last
        if after.any():
            months = sorted(set(frame["month"].to_numpy()[after].tolist()))
            opts.exclude("after_as_of", int(after.sum()))
            if conv.as_of_from == "":
                opts.left_out.append(
                    Note.of(
                        N_("Months after {date} are left out: {months} (as_of)."),
                        date=opts.as_of_text,
                        months=", ".join(str(_period(m)) for m in months[:12]),
                    )
                )
            frame = frame[~after]
    if frame.empty or not (frame["mrr"].to_numpy() > 0).any():
        message = "the table has no rows"
        if last is not None and not conv.frame.empty:
            message = (
                f"no customer has MRR in a complete month up to {opts.as_of_text or conv.data_end}"
            )
        return frame, [Problem("", message)]
    months = frame["month"].to_numpy(np.int64)
    if last is not None and months.max() < last:  # months where nobody paid still count
        pad = pd.DataFrame(
            {"row": [0], "customer": [frame["customer"].iloc[0]], "month": [last], "mrr": [0.0]}
        )
        frame = pd.concat([frame, pad], ignore_index=True)
        months = frame["month"].to_numpy(np.int64)
    periods = pd.PeriodIndex.from_ordinals(months, freq="M")
    role = next((r for r in ("month", "start", "created", "date") if r in lay.roles), None)
    where = lay.written(role) if role else "month"
    lo, hi = int(months.argmin()), int(months.argmax())
    ends = np.array([periods[lo], periods[hi]], dtype=object)
    span = _span_problem(frame["row"].to_numpy()[[lo, hi]], ends, where)
    if span is not None:
        return frame, [span]
    clean = pd.DataFrame(
        {
            "row": frame["row"].to_numpy(np.int64),
            "customer": frame["customer"].astype("str").array,
            "month": periods,
            "mrr": frame["mrr"].to_numpy(float),
        }
    )
    return clean, []


def _period(ordinal: int) -> pd.Period:
    return pd.Period(ordinal=int(ordinal), freq="M")


def _cohorts(table: TextTable, lay: cols.Layout, source: str, detected: bool) -> Reading:
    parts = []
    for chunk in table.chunks():
        part = pd.DataFrame({r: chunk[lay.roles[r]] for r in ("cohort", "period", "active")})
        part.insert(0, "row", chunk.index.to_numpy())
        parts.append(part[["cohort", "period", "active", "row"]])
    raw = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["cohort", "period", "active", "row"])
    )
    clean = _validate_cohorts(raw, source, {r: lay.written(r) for r in ("period", "active")})
    used = {lay.roles[r]: r for r in ("cohort", "period", "active")}
    prov = Provenance(
        source=source,
        format="cohort",
        detected=detected,
        encoding=ENCODING_NAMES.get(table.encoding, table.encoding),
        delimiter=table.delimiter,
        rows=len(raw),
        columns=tuple((table.header[i], r) for i, r in sorted(used.items())),
        unused=tuple(h for i, h in enumerate(table.header) if i not in used),
        currency="",
        currency_from="",
        timezone="UTC",
        timezone_given=False,
        as_of="",
        as_of_from="",
        first_month="",
        last_month="",
        customers=0,
    )
    return Reading(clean, "cohort", source, prov)


def _provenance(
    table: TextTable,
    lay: cols.Layout,
    fmt: str,
    detected: bool,
    conv: Converted,
    clean: pd.DataFrame,
    opts: ReadOptions,
) -> Provenance:
    own = {"subscriptions": "subscription", "invoices": "invoice"}.get(fmt, "entity")
    used = {i: own if r == "entity" else r for r, i in lay.roles.items() if r in conv.used}
    mapping = [(table.header[i], r) for i, r in sorted(used.items())]
    if fmt == "wide":
        heads = [lay.headers[i].text for i in lay.month_columns]
        mapping.append((f"{heads[0]} … {heads[-1]}" if len(heads) > 1 else heads[0], "months"))
        used.update({i: "months" for i in lay.month_columns})
        used.update({i: "total" for i in conv.totals})
    if conv.as_of_from:  # subscriptions and invoices: the latest date in the file, or as given
        as_of, as_of_from = opts.as_of_text or conv.data_end, "given" if opts.as_of_text else "data"
    else:  # monthly tables describe whole months: only a given as_of cuts them
        as_of, as_of_from = opts.as_of_text, "given" if opts.as_of_text else ""
    months = clean["month"]
    paying = clean.loc[clean["mrr"] > 0, "customer"]
    return Provenance(
        source=table.source,
        format=fmt,
        detected=detected,
        encoding=ENCODING_NAMES.get(table.encoding, table.encoding),
        delimiter=table.delimiter,
        rows=conv.rows,
        columns=tuple(mapping),
        unused=tuple(h for i, h in enumerate(table.header) if i not in used and h),
        currency=conv.currency,
        currency_from=conv.currency_from,
        timezone=opts.timezone_name,
        timezone_given=opts.timezone_given,
        as_of=as_of,
        as_of_from=as_of_from,
        first_month=str(months.min()),
        last_month=str(months.max()),
        customers=int(paying.nunique()),
        excluded=opts.exclusions(),
        left_out=tuple(opts.left_out),
        assumptions=tuple(opts.assumptions),
        warnings=tuple(opts.warnings),
    )


def read_data(data, source: str | None = None, **options) -> tuple[pd.DataFrame, str, str]:
    """Read and validate a billing export (a path or a DataFrame) of any accepted format.

    Returns
    -------
    frame, kind, source
        The clean table (``row`` = the row number in the file, header = 1), ``"mrr"`` or ``"cohort"``, and
        the name used in messages. ``options`` are those of :func:`cssim.data.intake.read_billing`, which
        also returns how the file was read.
    """
    reading = read_billing(data, source=source, **options)
    return reading.table, reading.kind, reading.source
