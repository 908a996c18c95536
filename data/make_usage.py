"""Write data/sample-usage-billing.csv and data/sample-usage.csv: a SYNTHETIC business with usage states.

Every number is made up: ``cssim.data.synthetic.synthetic_usage`` simulates 600 customers over 24 months
(2024-01 to 2025-12) in three usage states with the true process below, so that
``cssim calibrate data/sample-usage-billing.csv --usage data/sample-usage.csv`` can be checked against it.

- states healthy, at risk, dormant; today's customers split 60/30/10, new ones 50/40/10;
- monthly moves among customers who stay: healthy 90/8/2, at risk 15/75/10, dormant 5/15/80 (to healthy,
  at risk, dormant);
- monthly churn 1% healthy, 3% at risk, 8% dormant; Poisson(25) new customers a month at 50,000 JPY;
- usage share uniform within the state's band: healthy 0.6-1, at risk 0.2-0.6, dormant below 0.2.

Run ``python data/make_usage.py`` from the repository root; the output is identical every time.
"""

from __future__ import annotations

from pathlib import Path

from cssim.data.synthetic import synthetic_usage

HERE = Path(__file__).parent


def main() -> None:
    billing, usage = synthetic_usage(
        months=24,
        customers=600,
        transitions=((0.90, 0.08, 0.02), (0.15, 0.75, 0.10), (0.05, 0.15, 0.80)),
        churn=(0.01, 0.03, 0.08),
        start=(0.6, 0.3, 0.1),
        new=(0.5, 0.4, 0.1),
        new_per_month=25.0,
        first="2024-01",
        seed=20261207,
    )
    billing.assign(mrr=billing["mrr"].astype(int)).to_csv(
        HERE / "sample-usage-billing.csv", index=False, lineterminator="\n"
    )
    usage.to_csv(HERE / "sample-usage.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
