"""Write one business (a canonical ``customer, month, mrr`` table) in each billing format cssim reads.

Used by the tests that check "one business, one answer": the same MRR history written as a Japanese
CP932 table, as subscription periods, as a customer x month sheet and as invoice lines must calibrate to
the same scenario. Every writer returns the file's bytes.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

_FULL = str.maketrans("0123456789,", "０１２３４５６７８９，")


def _runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Spells of constant MRR per customer: customer, first and last month (Periods), mrr."""
    f = frame.copy()
    f["p"] = pd.PeriodIndex(f["month"].astype(str), freq="M")
    f = f[f["mrr"] > 0].sort_values(["customer", "p"])
    o = f["p"].map(lambda p: p.ordinal).to_numpy()
    new = np.r_[True, (f["customer"].to_numpy()[1:] != f["customer"].to_numpy()[:-1])]
    new |= (
        np.r_[True, np.diff(o) != 1]
        | np.r_[True, f["mrr"].to_numpy()[1:] != f["mrr"].to_numpy()[:-1]]
    )
    f["run"] = np.cumsum(new)
    return f.groupby("run").agg(
        customer=("customer", "first"),
        first=("p", "first"),
        last=("p", "last"),
        mrr=("mrr", "first"),
    )


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def japanese_cp932(frame: pd.DataFrame) -> bytes:
    """Format A as a Japanese billing tool writes it: CP932, CRLF, quoted, Japanese headers, yen signs,
    full-width digits, wareki and 年月 months, company names with ㈱ and 髙."""
    lines = ['"顧客コード","顧客名","対象月","月額(税抜)"']
    for i, (c, m, v) in enumerate(frame[["customer", "month", "mrr"]].itertuples(index=False)):
        p = pd.Period(str(m), freq="M")
        month = (
            f"{p.year}年{p.month}月",
            f"R{p.year - 2018}/{p.month}/{p.days_in_month}",
            f"令和{p.year - 2018}年{p.month}月",
            f"{p.year}/{p.month:02d}",
        )[i % 4]
        amount = f"{int(v):,}" if float(v).is_integer() else _number(v)
        amount = (f"￥{amount}", f"{amount}円", f"\\{amount}", amount.translate(_FULL))[i % 4 - 1]
        name = ("㈱", "髙橋", "株式会社")[i % 3] + str(c)
        lines.append(f'"{c}","{name}","{month}","{amount}"')
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def subscription_periods(frame: pd.DataFrame, annual: bool = True) -> bytes:
    """Format B: one row per spell of constant MRR (a subscription version), as a contract list; every
    third customer billed yearly (amount x 12) when ``annual``. Spells that run to the last month are
    open (status active); the others end on their last day or on the 10th of the next month."""
    last_month = pd.Period(str(frame["month"].max()), freq="M")
    rows = ["subscription_id,customer_id,status,start_date,end_date,amount,interval,currency"]
    for k, r in enumerate(_runs(frame).itertuples()):
        day = 1 + k % 27
        start = r.first.start_time.replace(day=day).date()
        if r.last == last_month:
            end, status = "", "active"
        elif k % 2:
            end, status = str(r.last.end_time.date()), "canceled"
        else:
            end, status = str((r.last + 1).start_time.replace(day=10).date()), "canceled"
        yearly = annual and int(str(r.customer)[-1:] or 0, 36) % 3 == 0
        amount = _number(r.mrr * 12) if yearly else _number(r.mrr)
        rows.append(
            f"s{k},{r.customer},{status},{start},{end},{amount},{'year' if yearly else 'month'},JPY"
        )
    return ("\n".join(rows) + "\n").encode()


def wide_sheet(frame: pd.DataFrame) -> bytes:
    """Format C: 顧客ID, 顧客名 and one column per month (2023年1月 ...), blank for no MRR, a 合計 row."""
    f = frame.copy()
    f["p"] = pd.PeriodIndex(f["month"].astype(str), freq="M")
    table = f.pivot_table(index="customer", columns="p", values="mrr", aggfunc="sum")
    months = pd.period_range(table.columns.min(), table.columns.max(), freq="M")
    table = table.reindex(columns=months)
    out = io.StringIO()
    out.write("顧客ID,顧客名," + ",".join(f"{p.year}年{p.month}月" for p in months) + "\n")
    for c, values in table.iterrows():
        cells = ["" if np.isnan(v) or v == 0 else _number(v) for v in values.to_numpy()]
        out.write(f"{c},顧客{c}," + ",".join(cells) + "\n")
    out.write("合計,," + ",".join(_number(v) for v in table.sum().to_numpy()) + "\n")
    return out.getvalue().encode("utf-8-sig")


def invoice_lines(frame: pd.DataFrame) -> bytes:
    """Format D with ChartMogul's field names: one monthly line per customer and month (service period
    from the 1st to the 1st, 10% tax inside ``amount_in_cents``, yen so never divided by 100), and a
    one-time set-up line for every 25th line (left out)."""
    rows = [
        "invoice_external_id,customer_external_id,date,currency,type,service_period_start,"
        "service_period_end,amount_in_cents,tax_amount_in_cents"
    ]
    for i, (c, m, v) in enumerate(frame[["customer", "month", "mrr"]].itertuples(index=False)):
        if v <= 0:
            continue
        p = pd.Period(str(m), freq="M")
        start, end = p.start_time.date(), (p + 1).start_time.date()
        tax = round(v * 0.1)
        rows.append(f"I{i},{c},{start},JPY,subscription,{start},{end},{_number(v + tax)},{tax}")
        if i % 25 == 0:
            rows.append(f"I{i},{c},{start},JPY,one_time,,,55000,5000")
    return ("\n".join(rows) + "\n").encode()
