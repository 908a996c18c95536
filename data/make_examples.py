"""Write data/example-*.csv: one small SYNTHETIC business written in each billing format cssim reads.

Every file tells the same four-month story (2024-01 to 2024-04) of four made-up customers, the table
``TINY`` of ``tests/test_calibrate.py``:

- A: 100 -> 150 (expansion), churns in April;
- B: 200 -> 100 (contraction), churns in March, comes back in April at 100 (an annual plan of 1,200);
- C: new in February at 50, expands to 80 in April (a quarterly plan of 240);
- D: new in March at 70, contracts to 60.

Each format writes it the way its tools do (see docs/DATA_FORMATS.md), so ``cssim.calibrate`` reads the
same customer x month MRR from every file. The files are written as bytes (CP932, CRLF, BOM exactly as
given); run ``python data/make_examples.py`` from the repository root; the output is identical every time.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent

#: format A, as a Japanese billing tool exports it: CP932, CRLF, every field quoted, yen signs
#: (``\\`` is the byte 0x5C, a yen sign in CP932), wareki, full-width digits, ㈱ and 髙
MRR_JA = """\
"顧客コード","顧客名","対象月","月額(税抜)"
"A","㈱エー","2024/01","\\100"
"A","㈱エー","2024年2月","￥150"
"A","㈱エー","R6/3/31","150円"
"A","㈱エー","令和6年4月","0"
"B","髙橋商事","2024/1/31","200"
"B","髙橋商事","2024-02-29","１００"
"B","髙橋商事","R06.04.30","100"
"C","シー","令和6年2月","50"
"C","シー","2024年3月31日","50"
"C","シー","2024/4/1","80"
"D","ディー","2024-03","70"
"D","ディー","Apr-24","60"
"""

#: format A at subscription grain (Chargebee's subscription_mrr_monthly_summary): C's April 80 is two
#: subscriptions, 50 + 30, summed
MRR_SUBSCRIPTIONS = """\
customer_id,subscription_id,reporting_month,status,billing_currency_code,mrr_billing_currency
A,sA,2024-01-31,active,JPY,100
A,sA,2024-02-29,active,JPY,150
A,sA,2024-03-31,active,JPY,150
B,sB,2024-01-31,active,JPY,200
B,sB,2024-02-29,active,JPY,100
B,sB2,2024-04-30,active,JPY,100
C,sC,2024-02-29,active,JPY,50
C,sC,2024-03-31,active,JPY,50
C,sC,2024-04-30,active,JPY,50
C,sC2,2024-04-30,active,JPY,30
D,sD,2024-03-31,active,JPY,70
D,sD,2024-04-30,active,JPY,60
"""

#: format C, a hand-kept sheet saved as "CSV UTF-8" (with BOM), a 合計 row that equals the sums
WIDE = """\
\ufeff顧客ID,顧客名,2024年1月,2024年2月,2024年3月,2024年4月
A,エー,"¥100","¥150","¥150",
B,ビー,200,100,,100
C,シー,,50,50,80
D,ディー,,,70,60
合計,,300,300,270,240
"""

#: format B, a Stripe-dashboard-style subscriptions export (UTC, yen); read with as_of 2024-04-30.
#: A's second subscription was cancelled on 25 March but ran to 10 April (churn dated by the end);
#: E (a trial), F (incomplete) and G (free) are left out and counted.
SUBSCRIPTIONS = """\
id,Customer ID,Status,Start Date (UTC),Ended At (UTC),Canceled At (UTC),Trial End (UTC),Plan Amount,\
Interval,Interval Count,Quantity,Plan Currency
sub_A1,cus_A,canceled,2024-01-10 03:00,2024-02-15 00:00,2024-02-15 00:00,,100,month,1,1,jpy
sub_A2,cus_A,canceled,2024-02-15 00:00,2024-04-10 00:00,2024-03-25 09:00,,150,month,1,1,jpy
sub_B1,cus_B,canceled,2024-01-05 00:00,2024-02-03 00:00,2024-02-03 00:00,,200,month,1,1,jpy
sub_B2,cus_B,canceled,2024-02-03 00:00,2024-03-20 00:00,2024-03-20 00:00,,50,month,1,2,jpy
sub_B3,cus_B,active,2024-04-02 00:00,,,,1200,year,1,1,jpy
sub_C1,cus_C,canceled,2024-02-01 00:00,2024-04-01 00:00,2024-04-01 00:00,,50,month,1,1,jpy
sub_C2,cus_C,active,2024-04-01 00:00,,,,240,month,3,1,jpy
sub_D1,cus_D,canceled,2024-03-05 00:00,2024-04-15 00:00,2024-04-15 00:00,,35,month,1,2,jpy
sub_D2,cus_D,active,2024-04-15 00:00,,,,30,month,1,2,jpy
sub_E1,cus_E,trialing,2024-04-20 00:00,,,2024-05-04 00:00,500,month,1,1,jpy
sub_F1,cus_F,incomplete_expired,2024-03-01 00:00,,,,100,month,1,1,jpy
sub_G1,cus_G,active,2024-01-01 00:00,,,,0,month,1,1,jpy
"""

#: format D, ChartMogul's invoice and line-item fields in one file: US cents, 10% tax included in
#: amount_in_cents, service periods half-open; a one-time line is left out. Read with as_of 2024-04-30.
INVOICES = """\
invoice_external_id,customer_external_id,date,currency,type,subscription_external_id,\
service_period_start,service_period_end,amount_in_cents,tax_amount_in_cents,discount_amount_in_cents,\
quantity,prorated
INV1,A,2024-01-10,USD,subscription,sA,2024-01-10,2024-02-10,11000,1000,0,1,false
INV2,A,2024-02-10,USD,subscription,sA,2024-02-10,2024-03-10,16500,1500,0,1,false
INV3,A,2024-03-10,USD,subscription,sA,2024-03-10,2024-04-10,16500,1500,0,1,false
INV4,B,2024-01-05,USD,subscription,sB,2024-01-05,2024-02-05,22000,2000,0,1,false
INV5,B,2024-02-05,USD,subscription,sB,2024-02-05,2024-03-05,11000,1000,0,1,false
INV6,B,2024-04-02,USD,subscription,sB2,2024-04-02,2025-04-02,132000,12000,0,1,false
INV7,C,2024-02-01,USD,subscription,sC,2024-02-01,2024-03-01,5500,500,0,1,false
INV8,C,2024-03-01,USD,subscription,sC,2024-03-01,2024-04-01,5500,500,0,1,false
INV9,C,2024-04-01,USD,subscription,sC,2024-04-01,2024-05-01,8800,800,2200,1,false
INV10,D,2024-03-05,USD,subscription,sD,2024-03-05,2024-04-05,7700,700,0,2,false
INV10,D,2024-03-05,USD,one_time,,,,55000,5000,0,1,false
INV11,D,2024-04-05,USD,subscription,sD,2024-04-05,2024-05-05,6600,600,0,2,false
"""

#: format D as a Japanese invoice list (CP932): no service period, so 請求周期 says how long each invoice
#: covers (B's April invoice is annual); the 初期費用 line has no 請求周期 and is left out as one-off.
#: Read with as_of 2024-04-30.
INVOICES_JA = """\
請求書番号,請求先コード,請求日,品目,数量,単価,金額(税抜),消費税,合計(税込),請求周期
I1,A,2024/01/01,利用料,1,100,100,10,110,月
I2,A,2024/02/01,利用料,1,150,150,15,165,月
I3,A,2024/03/01,利用料,1,150,150,15,165,月
I4,B,2024/01/01,利用料,1,200,200,20,220,月
I5,B,2024/02/01,利用料,1,100,100,10,110,月
I6,B,2024/04/01,年間利用料,1,"1,200","1,200",120,"1,320",年
I7,C,2024/02/01,利用料,1,50,50,5,55,月
I8,C,2024/03/01,利用料,1,50,50,5,55,月
I9,C,2024/04/01,利用料,1,80,80,8,88,月
I10,D,2024/03/01,利用料,1,70,70,7,77,月
I11,D,2024/04/01,利用料,1,60,60,6,66,月
I12,D,2024/04/01,初期費用,1,500,500,50,550,
"""

#: file name -> (text, encoding, line ending)
EXAMPLES = {
    "example-mrr-ja-cp932.csv": (MRR_JA, "cp932", "\r\n"),
    "example-mrr-subscriptions.csv": (MRR_SUBSCRIPTIONS, "utf-8", "\n"),
    "example-wide.csv": (WIDE, "utf-8", "\n"),
    "example-subscriptions.csv": (SUBSCRIPTIONS, "utf-8", "\n"),
    "example-invoices.csv": (INVOICES, "utf-8", "\n"),
    "example-invoices-ja-cp932.csv": (INVOICES_JA, "cp932", "\r\n"),
}


def encoded(name: str) -> bytes:
    """The bytes of example ``name``."""
    text, encoding, newline = EXAMPLES[name]
    return text.replace("\n", newline).encode(encoding)


def main(folder: Path = HERE) -> list[Path]:
    out = []
    for name in EXAMPLES:
        path = Path(folder) / name
        path.write_bytes(encoded(name))
        out.append(path)
    return out


if __name__ == "__main__":
    for path in main():
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
