"""Calibration study: do the calibrated forecast's bands keep their promise on companies whose future is known?

    .venv/bin/python benchmarks/bench_calibration.py [--companies 24] [--paths 1000] [--seed 2026]

Each synthetic company is drawn from varied truths (SYNTHETIC, made by ``cssim.data.synthetic.synthetic_mrr``):
size 60 to 2,500 starting customers; churn constant, with onboarding (3 months at 2-4x) or
shifted-beta-geometric; acquisition a count, a count growing 0-2% a month, or a rate of 10-40% of the base a
year; expansion 0-2% and contraction 0-0.8% of staying MRR a month. 72 months are simulated; ``cssim.calibrate``
sees the first 36 (37 month-ends), and its scenario is simulated 36 months ahead against the truth kept aside.

Targets (issue 10): 80% bands (P10-P90) hold 70-90% of truths at 12 and at 36 months ahead, and the median
absolute bias of the median forecast, ``median over companies of |P50 / truth - 1|``, is at most 3%.
Printed per horizon and metric (customers, MRR) with PASS/MISS; fixed seeds, so the figures repeat exactly.
Beside it: the error against the true model's own median (TRUE_PATHS paths of the true model from month 36),
which leaves out the realised future's noise, the signed median (a systematic lean), and both by company
size, which shows the error shrinking with the data a company gives (estimation error, not a lean).

Two oracles say what is reachable (``--oracle``): ``truth`` forecasts each company with its true model
(true forms and parameters, today's customers and tenures): its ``|P50 / truth - 1|`` is the truth's own
process noise (who churns, how many join), which no fit can remove; ``forms`` calibrates with the true
forms given, so only the parameters are estimated from the 36 months. With 24 companies a coverage
figure has a standard error of about 8 points (sqrt(0.8 x 0.2 / 24)); ``--companies 72`` gives 5.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import cssim
from cssim.data.history import _wide
from cssim.data.synthetic import synthetic_mrr

HORIZONS = (12, 36)
TRUE_PATHS = 4000
METRICS = ("customers", "mrr")


def draw_truth(rng: np.random.Generator, i: int) -> dict:
    """One company's true parameters (acquisition and churn forms rotate so every pair appears)."""
    size = int(rng.choice([60, 150, 400, 1000, 2500]))
    churn_form = ("constant", "onboarding", "sbg")[i % 3]
    acq_form = ("count", "count_growth", "rate")[(i // 3) % 3]
    t: dict = {"customers": size, "arpa": float(rng.choice([8_000, 50_000, 300_000]))}
    c = float(rng.uniform(0.01, 0.05))
    if churn_form == "sbg":
        alpha = float(rng.uniform(0.6, 2.0))
        mu = float(rng.uniform(0.03, 0.10))
        t["sbg"] = (alpha, alpha * (1 - mu) / mu)
    else:
        t["churn"] = c
        if churn_form == "onboarding":
            t["onboarding"] = (3, min(0.5, c * float(rng.uniform(2, 4))))
    if acq_form == "rate":
        t["rate"] = float(rng.uniform(0.10, 0.40))
    else:
        t["new_per_month"] = size * float(rng.uniform(0.02, 0.06))
        if acq_form == "count_growth":
            t["growth"] = float(rng.uniform(0.0, 0.02))
    t["expansion"] = (float(rng.uniform(0.0, 0.02)) + 1e-6, 0.1)
    t["contraction"] = (float(rng.uniform(0.0, 0.008)) + 1e-6, 0.05)
    t["forms"] = f"{churn_form}/{acq_form}"
    return t


def oracle_scenario(truth: dict, M: np.ndarray, horizon: int = 36) -> cssim.Scenario:
    """The true model from month 36 on: true forms and parameters (no parameter uncertainty), today's
    customers, MRR and observed tenures (the opening base joined at month 0 in the generator).

    Its P50 against the truth measures what process noise alone leaves: the bias no fit can remove.
    """
    from cssim.data.fitting import ChurnForm, _tenure_mix, _tenures

    now = M[:, 36]
    customers = int((now > 0).sum())
    seg: dict = {"name": "truth", "customers": customers, "arpa": float(now.sum() / customers)}
    seg["new_arpa"] = float(truth["arpa"])
    tenures = _tenures(M[:, :37])
    if "sbg" in truth:
        a, b = truth["sbg"]
        seg["churn"] = {"heterogeneity": {"alpha": a, "beta": b}}
        top = 600
    else:
        seg["churn"] = {"monthly": truth["churn"]}
        top = 0
        if "onboarding" in truth:
            k, p = truth["onboarding"]
            seg["churn"]["onboarding"] = {"months": k, "monthly": p}
            top = k
    if top:
        form = ChurnForm("sbg" if "sbg" in truth else "onboarding", months=top)
        seg["starting_tenure"] = _tenure_mix(tenures, form, None, now[now > 0])
    if "rate" in truth:
        seg["acquisition"] = {"rate": truth["rate"]}
    else:
        g = truth.get("growth", 0.0)
        seg["acquisition"] = {"count": truth["new_per_month"] * (1 + g) ** 36, "growth": g}
    for key in ("expansion", "contraction"):
        r, p = truth[key]
        seg[key] = {"rate": r, "probability": p}
    return cssim.Scenario.from_dict(
        {"name": "oracle", "horizon_months": horizon, "segments": [seg]}, source="oracle"
    )


def one_company(
    i: int, seed: np.random.SeedSequence, paths: int, oracle: str | None = None
) -> list[dict]:
    s_truth, s_data, s_sim = seed.spawn(3)
    truth = draw_truth(np.random.default_rng(s_truth), i)
    forms = truth.pop("forms")
    frame = synthetic_mrr(72, seed=int(s_data.generate_state(1)[0]), **truth)
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
    M, months, _ = _wide(frame)
    cut = months[36]
    if oracle == "truth":
        scenario, fitted = oracle_scenario(truth, M), "truth"
    else:
        churn_form, acq_form = forms.split("/")
        given = (
            {"churn": {"constant": "monthly"}.get(churn_form, churn_form), "acquisition": acq_form}
            if oracle == "forms"
            else None
        )
        cal = cssim.calibrate(
            frame[frame["month"] <= cut], source=f"company {i}", horizon_months=36, forms=given
        )
        scenario, fitted = cal.scenario, f"{cal.churn_model}/{cal.acquisition.model}"
    res = cssim.simulate(scenario, paths=paths, seed=int(s_sim.generate_state(1)[0]))
    # The estimand: the true model's own median from month 36 (TRUE_PATHS paths, no parameter
    # uncertainty), so a forecast's bias is measured apart from the one realised future's noise.
    ref = cssim.simulate(
        oracle_scenario(truth, M), paths=TRUE_PATHS, seed=int(s_sim.generate_state(2)[1])
    )
    rows = []
    for metric in METRICS:
        actual = (M > 0).sum(0) if metric == "customers" else M.sum(0)
        sims = np.asarray(res[metric], dtype=float)
        true_sims = np.asarray(ref[metric], dtype=float)
        for h in HORIZONS:
            p10, p50, p90 = np.quantile(sims[:, h], [0.1, 0.5, 0.9])
            true_p50 = float(np.median(true_sims[:, h]))
            a = float(actual[36 + h])
            rows.append(
                {
                    "company": i,
                    "forms": forms,
                    "fitted": fitted,
                    "size": truth["customers"],
                    "metric": metric,
                    "horizon": h,
                    "truth": a,
                    "p10": p10,
                    "p50": p50,
                    "p90": p90,
                    "inside": bool(p10 <= a <= p90),
                    "quantile": float(np.mean(sims[:, h] <= a)),
                    "rel_error": p50 / a - 1 if a > 0 else np.nan,
                    "true_p50": true_p50,
                    "bias": p50 / true_p50 - 1 if true_p50 > 0 else np.nan,
                }
            )
    return rows


def study(
    companies: int = 24, paths: int = 1000, seed: int = 2026, oracle: str | None = None
) -> pd.DataFrame:
    """Every company, metric and horizon: truth, P10/P50/P90, inside the band, the truth's quantile.

    ``oracle``: ``"truth"`` forecasts each company with its true model (true forms and parameters, no
    parameter uncertainty); ``"forms"`` calibrates with the true forms given (parameters fitted by
    maximum likelihood from the same 36 months, with their joint uncertainty).
    """
    seeds = np.random.SeedSequence(seed).spawn(companies)
    rows = [r for i, s in enumerate(seeds) for r in one_company(i, s, paths, oracle)]
    return pd.DataFrame(rows)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    g = table.groupby(["horizon", "metric"])
    out = pd.DataFrame(
        {
            "pairs": g.size(),
            "inside_80": g["inside"].mean(),
            "median_abs_bias": g["rel_error"].apply(lambda x: float(np.nanmedian(np.abs(x)))),
            "median_bias": g["rel_error"].median(),
            "abs_bias_vs_model": g["bias"].apply(lambda x: float(np.nanmedian(np.abs(x)))),
            "bias_vs_model": g["bias"].median(),
        }
    )
    allh = table.groupby("horizon")
    both = pd.DataFrame(
        {
            "pairs": allh.size(),
            "inside_80": allh["inside"].mean(),
            "median_abs_bias": allh["rel_error"].apply(lambda x: float(np.nanmedian(np.abs(x)))),
            "median_bias": allh["rel_error"].median(),
            "abs_bias_vs_model": allh["bias"].apply(lambda x: float(np.nanmedian(np.abs(x)))),
            "bias_vs_model": allh["bias"].median(),
        }
    )
    both["metric"] = "both"
    return pd.concat([out.reset_index(), both.reset_index()]).set_index(["horizon", "metric"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--companies", type=int, default=24)
    ap.add_argument("--paths", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--csv", default=None, help="also write every company's rows here")
    ap.add_argument(
        "--oracle",
        choices=("truth", "forms"),
        default=None,
        help="truth: forecast with each company's true model (what process noise alone leaves); "
        "forms: calibrate with the true forms given (what parameter estimation leaves)",
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    table = study(args.companies, args.paths, args.seed, args.oracle)
    took = time.perf_counter() - t0
    if args.csv:
        table.to_csv(args.csv, index=False)
    pd.set_option("display.width", 160)
    print(
        table[table.metric == "customers"][
            [
                "company",
                "forms",
                "fitted",
                "size",
                "horizon",
                "truth",
                "p10",
                "p50",
                "p90",
                "quantile",
            ]
        ].to_string(index=False, float_format=lambda x: f"{x:.3g}")
    )
    s = summarise(table)
    print()
    print(s.to_string(float_format=lambda x: f"{x:.3f}"))
    print()
    for (h, m), r in s.iterrows():
        cover = "PASS" if 0.70 <= r.inside_80 <= 0.90 else "MISS"
        bias = "PASS" if r.median_abs_bias <= 0.03 else "MISS"
        print(
            f"{h:>2} months, {m:<9}: {r.inside_80:.1%} inside P10-P90 ({cover}), median |bias| "
            f"{r.median_abs_bias:.2%} ({bias}); against the true model's median "
            f"{r.abs_bias_vs_model:.2%}, signed median {r.median_bias:+.2%}"
        )
    # Where the error comes from: by company size, the median |P50 / truth - 1| (forecast against the
    # one realised future), |P50 / true P50 - 1| (against the true model's median: estimation error) and
    # |true P50 / truth - 1| (the true model against its own realised future: process noise).
    t = table.assign(
        vs_truth=table["rel_error"].abs(),
        vs_model=table["bias"].abs(),
        noise=(table["true_p50"] / table["truth"] - 1).abs(),
    )
    print("\nmedian |error| by starting customers (both metrics):")
    by_size = t.groupby(["horizon", "size"])[["vs_truth", "vs_model", "noise"]].median().unstack(0)
    print(by_size.to_string(float_format=lambda x: f"{x:.1%}"))
    print(f"\n{args.companies} companies, {args.paths} paths each, {took:.0f} s")


if __name__ == "__main__":
    main()
