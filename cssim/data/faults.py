"""Cells that cannot be read, collected over a whole file, then said once per column and kind.

A file of a million bad rows keeps at most :data:`MAX_ROWS` examples per column and
kind of fault, and the count of the rest, so a hostile file costs no more memory than a good one. Each
problem names the column as written, the rows (the header is row 1) and the cells as written; the
messages are templates of :mod:`cssim.words.errors_text` (so they read in Japanese too).
"""

from __future__ import annotations

import re

import numpy as np

from ..model.errors import Problem
from . import cells

__all__ = ["Faults", "shown"]

#: at most this many offending rows are listed per problem
MAX_ROWS = 10


def shown(header: str) -> str:
    """A column as messages name it: as written, quoted when it holds a space, comma or quote."""
    return repr(header) if re.search(r"[\s,']", header) or not header else header


def _message(kind: str, what: str, rows: str) -> str:
    """The message for one column and kind of fault (``rows`` as :func:`rows_text` lists them)."""
    return {
        "empty": f"{what} is empty in {rows}",
        "number": f"{what} is not a number in {rows}",
        "comma": f"{what} has a comma that is not a thousands separator in {rows}: a comma may "
        "only separate thousands (1,234,567); write a decimal with a point (1234.56)",
        "negative": f"{what} is negative in {rows}",
        "whole": f"{what} must be a whole number in {rows}",
        "month": f"{what} is not a month (write 2024-03, 2024/3, 2024年3月, 令和6年3月 or a date "
        f"such as 2024-03-31) in {rows}",
        "date": f"{what} is not a date (write 2024-03-31, 2024/3/31, 2024年3月31日, 20240331, "
        f"R6/3/31 or 令和6年3月31日) in {rows}",
        "ambiguous": f"{what} writes day and month in an order that cannot be told (01/02/2024 is "
        "1 February or 2 January): write the year first, such as 2024-02-01, or pass dayfirst= "
        f"in {rows}",
        "era": f"{what} names a date outside its era (令和 began on 2019-05-01; 平成 ran from "
        f"1989-01-08 to 2019-04-30; 昭和 from 1926-12-25 to 1989-01-07) in {rows}",
        "interval": f"{what} is not a billing interval (write month, year, week, day, 月, 年 or "
        f"3ヶ月) in {rows}",
        "status": f"{what} is not a status cssim knows (active, past_due, non_renewing, "
        "trialing, incomplete, paused, canceled, unpaid, expired, 有効, 解約, トライアル) in "
        f"{rows}",
        "invoice_status": f"{what} is not an invoice status cssim knows (paid, open, void, "
        f"draft, uncollectible, 支払済, 未払, 取消) in {rows}",
        "line_type": f"{what} is not a line type cssim knows (subscription, recurring, "
        f"one_time, invoiceitem, usage, tax, 定期, 単発) in {rows}",
        "currency": f"{what} is not a currency code (three letters, such as JPY or USD) in {rows}",
        "boolean": f"{what} is not true or false in {rows}",
        "ended": f"{what} is empty for subscriptions that have ended in {rows}",
        "order": f"{what} is before the start in {rows}",
        "span": f"{what} is not a whole number of months (about 30, 91, 182 or 365 days) and the "
        f"line is not marked prorated in {rows}",
    }[kind]


#: fault codes of :mod:`cssim.data.cells` -> kinds above
CODES = {
    cells.EMPTY: "empty",
    cells.NOT_NUMBER: "number",
    cells.COMMA: "comma",
    cells.NOT_MONTH: "month",
    cells.NOT_DATE: "date",
    cells.AMBIGUOUS: "ambiguous",
    cells.ERA: "era",
    cells.NOT_INTERVAL: "interval",
}


#: after this many bad cells a read stops (a file of random rows is refused in a second, not a minute)
LIMIT = 100_000


class Faults:
    """Bad cells by (column, kind): a count and the first :data:`MAX_ROWS` (row, cell) examples."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], list] = {}
        self.extra: list[Problem] = []
        self.stopped = 0  # the last row read when the read stopped early

    @property
    def full(self) -> bool:
        """Whether enough bad cells are known to stop reading (:data:`LIMIT`)."""
        return sum(entry[0] for entry in self._seen.values()) >= LIMIT

    def stop(self, row: int) -> None:
        self.stopped = int(row)

    def __bool__(self) -> bool:
        return bool(self._seen) or bool(self.extra)

    def add(self, header: str, kind: str, rows, texts, mask=None, show: bool = True) -> None:
        """Record the cells where ``mask`` holds (all of them when None)."""
        rows = np.asarray(rows)
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if not mask.any():
                return
            rows = rows[mask]
            texts = np.asarray(texts, dtype=object)[mask] if texts is not None else None
        if len(rows) == 0:
            return
        entry = self._seen.setdefault((header, kind), [0, [], show])
        room = MAX_ROWS - len(entry[1])
        if room > 0:
            shown_texts = [None] * len(rows) if texts is None else list(texts[:room])
            entry[1].extend(zip(rows[:room].tolist(), shown_texts[:room], strict=False))
        entry[0] += len(rows)

    def codes(self, header: str, rows, texts, codes, allow_empty: bool = False) -> np.ndarray:
        """Record the fault codes of :func:`cells.parse_column`; True where the cell reads."""
        codes = np.asarray(codes)
        for code, kind in CODES.items():
            if code == cells.EMPTY and allow_empty:
                continue
            self.add(header, kind, rows, texts, codes == code, show=code != cells.EMPTY)
        return (codes == 0) | ((codes == cells.EMPTY) if allow_empty else False)

    def problems(self) -> list[Problem]:
        out = []
        for (header, kind), (count, examples, show) in self._seen.items():
            out.append(Problem(header, _message(kind, shown(header), _rows(examples, count, show))))
        if self.stopped:
            out.append(
                Problem(
                    "",
                    f"reading stopped at row {self.stopped} after {LIMIT} cells that cannot be "
                    "read; the rest of the file was not checked",
                )
            )
        return out + self.extra


def _rows(examples: list, count: int, show: bool) -> str:
    """``row 3 ('abc'), row 7 ('x') and 2 more rows``, as :mod:`cssim.data.reading` names rows."""
    parts = [f"row {r} ({str(t)!r})" if show and t is not None else f"row {r}" for r, t in examples]
    more = count - len(examples)
    return ", ".join(parts) + (
        f" and {more} more row{'s' if more != 1 else ''}" if more > 0 else ""
    )
