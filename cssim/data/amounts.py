"""Which amount a row carries, before tax: an MRR, an amount, a unit price times quantity, or a total
with tax taken out.

MRR is measured before tax (Stripe and ChartMogul both exclude it). An amount marked tax-exclusive
(``金額(税抜)``, ``subtotal``) is used as it is; a plain ``amount`` or ``金額`` is taken as before tax (the
usual meaning of a line amount; the provenance says so); a tax-inclusive amount (``合計``, ``請求金額``,
``total``, ``(税込)``, and ChartMogul's ``amount_in_cents``, which includes tax) has the tax column taken
off, or, with no tax column, is divided by ``1 + tax_included``; without either it is refused rather
than read ten percent high.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.errors import Problem
from ..words.i18n import N_
from .columns import Layout
from .faults import shown
from .options import ReadOptions

__all__ = ["before_tax", "pick"]


def pick(lay: Layout, prefer: tuple[str, ...]) -> str | None:
    """The first role of ``prefer`` the file has."""
    return next((r for r in prefer if r in lay.roles), None)


def before_tax(
    typed: pd.DataFrame, lay: Layout, opts: ReadOptions, role: str
) -> tuple[np.ndarray, list[Problem]]:
    """The amounts of ``role`` without tax (see the module docstring)."""
    header = lay.header(role)
    values = typed[role].to_numpy(float)
    inclusive = header.tax == "incl" or role == "gross"
    inclusive |= header.key == "amountincents" and "tax" in lay.roles and header.tax != "excl"
    if inclusive:
        if "tax" in lay.roles:
            opts.assume(
                N_("{column} includes tax: {tax} is taken off"),
                column=header.text,
                tax=lay.written("tax"),
            )
            return values - np.nan_to_num(typed["tax"].to_numpy(float)), []
        if opts.tax_included is not None:
            opts.assume(
                N_("{column} includes tax at {rate}: divided by 1 + {rate}"),
                column=header.text,
                rate=f"{opts.tax_included:g}",
            )
            return values / (1 + opts.tax_included), []
        return values, [
            Problem(
                header.text,
                f"{shown(header.text)} includes tax and the file has no tax column nor an amount "
                "before tax: pass tax_included with the tax rate, such as 0.10, to take the tax out",
            )
        ]
    if opts.tax_included is not None and header.tax != "excl":
        opts.assume(
            N_("{column} includes tax at {rate}: divided by 1 + {rate}"),
            column=header.text,
            rate=f"{opts.tax_included:g}",
        )
        return values / (1 + opts.tax_included), []
    if role in ("amount", "unit_price") and header.tax != "excl":
        opts.assume(N_("{column} is taken as an amount before tax"), column=header.text)
    return values, []
