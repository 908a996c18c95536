"""What a format's reader hands back: the customer x month MRR rows and what the read found."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..model.errors import Problem

__all__ = ["Converted"]


@dataclass
class Converted:
    """``frame``: ``row`` (the first file row behind it), ``customer``, ``month`` (ordinal), ``mrr``.

    ``complete_to`` is the last month the data cover in full (None: every month in the frame);
    ``data_end`` the latest date the file holds (for the provenance of a partial month); ``as_of_from``
    is "data" for readers of dates (subscriptions, invoices) and "" for monthly tables; ``used`` the
    roles read and ``totals`` the columns dropped as totals.
    """

    frame: pd.DataFrame
    rows: int
    currency: str
    currency_from: str
    problems: list[Problem] = field(default_factory=list)
    complete_to: int | None = None
    data_end: str = ""
    as_of_from: str = ""
    used: tuple[str, ...] = ()
    totals: tuple[int, ...] = ()

    @classmethod
    def failed(cls, rows: int, currency: str, source: str, problems: list[Problem]) -> Converted:
        empty = pd.DataFrame({"row": [], "customer": [], "month": [], "mrr": []})
        return cls(empty, rows, currency, source, list(problems))
