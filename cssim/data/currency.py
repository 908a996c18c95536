"""Which currency a file's amounts are in, and turning them into the scenario's currency.

- A currency column holding one code gives the scenario's currency (a USD export makes a USD scenario);
  several codes are refused, with the count and first rows of each, unless ``fx`` gives the rate of each
  other currency in the scenario currency (``fx={"USD": 150}``: one dollar is 150 of it).
- Without a column: a code in a header (``MRR (USD)``, ``月額(円)``), else ``currency=``, else JPY (the
  provenance says which).
- Amounts in minor units (columns named ``*_in_cents``; Stripe API fields ``unit_amount``,
  ``plan__amount``) are divided by 10^exponent of their currency: 100 for USD, 1 for the zero-decimal
  currencies Stripe lists (JPY, KRW, ...; a yen amount is never divided), 1000 for BHD, JOD, KWD, OMR, TND.
- A header in thousands or ten-thousands of yen (``売上(千円)``, ``(万円)``) is multiplied back.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..model.errors import Problem
from ..words.i18n import N_
from .columns import Header, Layout
from .faults import shown
from .options import ReadOptions

__all__ = ["ZERO_DECIMAL", "exponent", "resolve"]

#: Stripe's zero-decimal currencies (amounts in the API are whole units)
ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
_API_MINOR = re.compile(r"^[a-z0-9_.]*(unit_amount|plan__amount|plan\.amount|amount_in_cents)$")


def exponent(code: str) -> int:
    """Digits of the minor unit: 0 for JPY, 2 for USD, 3 for KWD."""
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def _minor(header: Header) -> bool:
    return header.key.endswith("incents") or bool(_API_MINOR.match(header.text.strip()))


def _listing(rows: np.ndarray, codes: pd.Categorical, order: list[str]) -> str:
    parts = []
    for code in order:
        mine = rows[np.asarray(codes == code)]
        parts.append(f"{code} × {len(mine)}: rows {', '.join(str(int(r)) for r in mine[:3])}")
    return "; ".join(parts)


def resolve(
    typed: pd.DataFrame,
    lay: Layout,
    opts: ReadOptions,
    amounts: dict[str, Header],
    *,
    column: bool = True,
) -> tuple[str, str, list[Problem]]:
    """Scale the ``amounts`` columns of ``typed`` in place into the scenario currency.

    Returns the currency, where it came from (``"column"``, ``"header"``, ``"given"`` or ``"default"``)
    and the problems (several currencies without rates, a currency that disagrees with ``currency=``).
    With ``column`` False a currency column is not read (a wide sheet has one currency).
    """
    problems: list[Problem] = []
    rows = typed["row"].to_numpy()
    if column and "currency" in lay.roles:
        header = lay.header("currency").text
        codes = pd.Categorical(typed["currency"].astype(str).str.upper())
        known = [c for c in codes.categories if len(c) == 3 and c.isascii() and c.isalpha()]
        bad = ~np.isin(codes.codes, [codes.categories.get_loc(c) for c in known])
        opts.faults.add(header, "currency", rows, typed["currency"].to_numpy(), bad)
        counts = pd.Series(codes[~bad]).value_counts()
        counts = counts[counts > 0]
        order = list(counts.index)
        source = "column"
    else:
        hints = {h.currency for h in amounts.values() if h.currency}
        code = next(iter(hints)) if len(hints) == 1 else (opts.currency or "JPY")
        codes = pd.Categorical.from_codes(np.zeros(len(typed), dtype=np.int8), categories=[code])
        order = [code]
        header = next((h.text for h in amounts.values() if h.currency), "")
        source = "header" if len(hints) == 1 else "given" if opts.currency else "default"
    if opts.faults:
        return order[0] if order else (opts.currency or "JPY"), source, problems
    if not order:
        return opts.currency or "JPY", source, problems
    target = opts.currency
    if target is None:
        without = [c for c in order if c not in opts.fx]
        if len(without) == 1:
            target = without[0]
        elif len(order) == 1:
            target = order[0]
        else:
            problems.append(
                Problem(
                    header,
                    f"the amounts are in {len(order)} currencies ({_listing(rows, codes, order)}); "
                    "cssim fits one currency: filter the file, or pass fx with the rate of each "
                    "other currency in the scenario currency",
                )
            )
            return order[0], source, problems
    elif len(order) == 1 and order[0] != target and order[0] not in opts.fx:
        problems.append(
            Problem(
                header,
                f"currency={target} was given but the amounts are in {order[0]}"
                + (f" ({shown(header)})" if header else "")
                + f": pass fx with the rate of {order[0]} in {target}, or leave currency out",
            )
        )
        return target, source, problems
    missing = [c for c in order if c != target and c not in opts.fx]
    if missing:
        problems.append(
            Problem(
                "fx",
                f"fx has no rate for {', '.join(missing)} ({_listing(rows, codes, missing)}): give "
                f"the rate of each currency other than {target}",
            )
        )
        return target, source, problems
    codes = pd.Categorical(codes).set_categories(order)
    rate = np.array([1.0 if c == target else opts.fx[c] for c in order])[codes.codes]
    if (rate != 1.0).any():
        used = {c: opts.fx[c] for c in order if c != target}
        opts.assume(
            N_("amounts converted into {currency} at {rates}"),
            currency=target,
            rates=", ".join(f"{c} = {r:g}" for c, r in used.items()),
        )
    divisor = np.array([10.0 ** exponent(c) for c in order])[codes.codes]
    minor = []
    for column, h in amounts.items():
        if column not in typed:
            continue
        factor = rate * h.scale
        if _minor(h):
            factor = factor / divisor
            minor.append(h.text)
        if h.scale != 1.0:
            opts.assume(
                N_("{column} is in units of {scale}"), column=h.text, scale=("count", h.scale)
            )
        if not np.all(factor == 1.0):
            typed[column] = typed[column].to_numpy(float) * factor
    if minor:
        opts.assume(
            N_(
                "{columns} in minor units (cents): divided by 100, or not at all in currencies without "
                "them such as JPY"
            ),
            columns=", ".join(minor),
        )
    return target, source, problems
