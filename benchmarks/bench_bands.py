"""Band study on two generators (issue 20): do the calibrated 80% bands keep their promise, with and
without the backtest widening (:mod:`cssim.data.widening`)?

    nice .venv/bin/python benchmarks/bench_bands.py [--generator cssim|companies|both] [--companies 48]
        [--paths 500] [--seed 2026] [--csv rows.csv] [--size-bands K] [--growth-endurance P]
    nice .venv/bin/python benchmarks/bench_bands.py --from-csv a.csv b.csv   # summarise saved rows

Generators: ``cssim`` is cssim's own (``synthetic_mrr``, truths drawn as in bench_calibration.py, sizes
60 to 5,000); ``companies`` is :mod:`companies` (account sizes, size-dependent churn drifting with
tenure, annual renewals, lumpy seat jumps, a trend break and seasonality in acquisition). 72 months
are simulated; ``cssim.calibrate`` sees the first 36 (37 month-ends) and forecasts 36 months ahead.

Per generator, variant (as fitted, widened, oracle), horizon (12, 36) and metric (customers, MRR):
80% coverage (PASS 70-90%), signed median of P50 / truth - 1 (PASS within 3%), share of truths above
the P50 (PASS 40-60%), share outside P1-P99 (PASS <= 4%), the PIT histogram in deciles (where the truth
falls in the forecast) and the mean CRPS relative to the truth. The oracle is the true model's own
forecast: for ``cssim`` the true forms and parameters simulated by cssim; for ``companies`` the
generator itself run on from its state at month 36. Fixed seeds: the figures repeat exactly.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
from bench_calibration import draw_truth, oracle_scenario
from companies import SIZES, company, oracle_futures

import cssim
from cssim.data.fit_table import read
from cssim.data.history import _wide
from cssim.data.synthetic import synthetic_mrr
from cssim.data.widening import GRID, backtest_widening, widen_scenario

HORIZONS = (12, 36)
METRICS = ("customers", "mrr")
ORACLE_PATHS = 2000
ORACLE_FUTURES = 200


def crps(samples: np.ndarray, y: float) -> float:
    r"""CRPS of a sample forecast: :math:`E|X - y| - \tfrac12 E|X - X'|` (sorted-sample formula)."""
    x = np.sort(np.asarray(samples, float))
    n = len(x)
    spread = 2.0 * np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / (n * n)
    return float(np.mean(np.abs(x - y)) - 0.5 * spread)


def score(samples: np.ndarray, y: float) -> dict:
    q = np.quantile(samples, [0.01, 0.1, 0.5, 0.9, 0.99])
    return {
        "truth": y,
        "p01": q[0],
        "p10": q[1],
        "p50": q[2],
        "p90": q[3],
        "p99": q[4],
        "pit": float(np.mean(samples < y) + 0.5 * np.mean(samples == y)),
        "crps": crps(samples, y),
    }


#: ``--size-bands``: None (the default) bands a company as ``cssim.calibrate`` does unasked
#: (``cssim.data.size_bands.auto_bands``); 1 never; K calibrates companies with at least BANDED_FROM
#: customers at the end of the data in
#: this many size bands
SIZE_BANDS: dict = {"bands": None}
BANDED_FROM = 300
#: ``--growth-endurance``: None fits with calibrate's prior (``inflow_endurance``); a number sets it, as
#: ``cssim calibrate --growth-endurance`` does (a sensitivity run, not the study's default)
ENDURANCE: dict = {"growth_endurance": None}


def _banded(frame: pd.DataFrame, name: str, paths: int, seed: int, k: int) -> tuple[dict, dict]:
    """As fitted and widened, calibrated by size band (each band widened on its own past)."""
    t0 = time.perf_counter()
    fitted = cssim.calibrate(
        frame, source=name, horizon_months=36, widen=False, size_bands=k, **ENDURANCE
    )
    t1 = time.perf_counter()
    widened = cssim.calibrate(
        frame, source=name, horizon_months=36, size_bands=k, seed=seed, **ENDURANCE
    )
    t2 = time.perf_counter()
    out = {}
    for key, cal in (("k=1", fitted), ("widened", widened)):
        res = cssim.simulate(cal.scenario, paths=paths, seed=seed)
        out[key] = {m: np.asarray(res[m], float) for m in METRICS}
    factors = [b.widening.factor if b.widening is not None else 1.0 for _, b in widened.bands]
    lv = fitted.fits.leavers
    info = {
        "fitted": f"{k} size bands",
        "leavers": lv.ratio if lv is not None else np.nan,
        "leavers_said": bool(lv is not None and lv.differs),
        "factor": float(np.mean(factors)),
        "reached": True,
        "seconds_calibrate": t1 - t0,
        "seconds_widening": t2 - t1,
        "backtest_points": 0,
        "banded": True,
    }
    return out, info


def _forecasts(frame: pd.DataFrame, name: str, paths: int, seed: int) -> tuple[dict, dict]:
    """The calibrated forecast as fitted and widened (one seed: common random numbers)."""
    active = frame.loc[frame["month"] == frame["month"].max(), "customer"].nunique()
    k = SIZE_BANDS["bands"]
    if k is None:  # as a user gets it: bands when calibrate chooses them
        from cssim.data.size_bands import auto_bands

        r = read(frame, name, None, {})
        leavers = cssim.calibrate(frame, source=name, widen=False, size_bands=1).fits.leavers
        k = auto_bands(r.table, leavers)
        if k > 1:
            return _banded(frame, name, paths, seed, k)
    elif k > 1 and active >= BANDED_FROM:
        return _banded(frame, name, paths, seed, k)
    t0 = time.perf_counter()
    # as fitted (widen=False): every factor of the grid is applied below, once
    cal = cssim.calibrate(
        frame, source=name, horizon_months=36, widen=False, size_bands=1, **ENDURANCE
    )
    t1 = time.perf_counter()
    r = read(frame, name, None, {})
    w = backtest_widening(
        r.table, r.kind, r.source, r.provenance, options=ENDURANCE, seed=seed, carrier=cal.scenario
    )
    t2 = time.perf_counter()
    k = w.factor if w is not None else 1.0
    out = {}
    # every factor of the grid is simulated (one seed: common random numbers), so the summary can
    # show the chosen factor ("widened") and what another selection rule would have given
    for f in GRID:
        try:
            widened = widen_scenario(cal.scenario, f)
        except cssim.ScenarioError:  # past a scenario's limits: the widening never goes this far
            break
        res = cssim.simulate(widened, paths=paths, seed=seed)
        out[f"k={f:g}"] = {m: np.asarray(res[m], float) for m in METRICS}
    info = {
        "fitted": f"{cal.churn_model}/{cal.acquisition.model if cal.acquisition else '-'}",
        "leavers": cal.fits.leavers.ratio if cal.fits.leavers is not None else np.nan,
        "leavers_said": bool(cal.fits.leavers is not None and cal.fits.leavers.differs),
        "factor": k,
        "reached": bool(w.reached) if w is not None else False,
        "seconds_calibrate": t1 - t0,
        "seconds_widening": t2 - t1,
        "backtest_points": len(w.table) if w is not None else 0,
        **{f"bt_{f:g}": (w.coverage.get(f, np.nan) if w is not None else np.nan) for f in GRID},
    }
    return out, info


def in_family(i: int, seed: np.random.SeedSequence, paths: int) -> list[dict]:
    s_truth, s_data, s_sim = seed.spawn(3)
    truth = draw_truth(np.random.default_rng(s_truth), i)
    size = SIZES[i % len(SIZES)]
    truth["new_per_month"] = truth.get("new_per_month", 0.0) * size / truth["customers"]
    truth["customers"] = size
    forms = truth.pop("forms")
    frame = synthetic_mrr(72, seed=int(s_data.generate_state(1)[0]), **truth)
    M, months, _ = _wide(frame.assign(month=pd.PeriodIndex(frame["month"], freq="M")))
    cut = str(months[36])
    sim_seed = int(s_sim.generate_state(1)[0])
    fc, info = _forecasts(frame[frame["month"] <= cut], f"cssim {i}", paths, sim_seed)
    ref = cssim.simulate(oracle_scenario(truth, M), paths=ORACLE_PATHS, seed=sim_seed + 1)
    fc["oracle"] = {m: np.asarray(ref[m], float) for m in METRICS}
    actual = {"customers": (M > 0).sum(0), "mrr": M.sum(0)}
    return _rows("cssim", i, size, forms, fc, info, lambda m, h: float(actual[m][36 + h]))


def out_of_family(i: int, seed: np.random.SeedSequence, paths: int) -> list[dict]:
    s_data, s_sim = seed.spawn(2)
    size = SIZES[i % len(SIZES)]
    p, at_cut, full = company(size, int(s_data.generate_state(1)[0]))
    frame = full.frame()
    months = sorted(frame["month"].unique())
    sim_seed = int(s_sim.generate_state(1)[0])
    fc, info = _forecasts(frame[frame["month"] <= months[36]], f"companies {i}", paths, sim_seed)
    futures = oracle_futures(at_cut, HORIZONS, ORACLE_FUTURES, sim_seed + 1)
    totals = frame.groupby("month").agg(customers=("mrr", "size"), mrr=("mrr", "sum"))
    actual = {m: totals[m].reindex(months, fill_value=0).to_numpy(float) for m in METRICS}
    forms = f"drift {p['drift']:+.1f}, annual {p['annual']:.0%}, frailty {p['frailty_var']:.1f}"
    # the growth after the break first applies at month break + 1: a break at 36 is unseen too
    info = {**info, "break_after_data": p["break"] >= 36}
    rows = _rows("companies", i, size, forms, fc, info, lambda m, h: float(actual[m][36 + h]))
    for m in METRICS:  # the oracle: the generator's own futures
        for h in HORIZONS:
            y = float(actual[m][36 + h])
            rows.append(
                {**_head("companies", i, size, forms, info), "variant": "oracle", "metric": m}
                | {"horizon": h, **score(futures[(m, h)], y)}
            )
    return rows


def _head(gen, i, size, forms, info) -> dict:
    # the endurance every company was given (None: calibrate's prior), so saved rows say which run
    endurance = ENDURANCE["growth_endurance"]
    return {
        "generator": gen,
        "company": i,
        "size": size,
        "truth_forms": forms,
        "growth_endurance": "prior" if endurance is None else endurance,
        **info,
    }


def _rows(gen, i, size, forms, fc, info, truth) -> list[dict]:
    rows = []
    for variant, sims in fc.items():
        for m in METRICS:
            for h in HORIZONS:
                rows.append(
                    {**_head(gen, i, size, forms, info), "variant": variant, "metric": m}
                    | {"horizon": h, **score(sims[m][:, h], truth(m, h))}
                )
    return rows


def study(generator: str, companies: int, paths: int, seed: int) -> pd.DataFrame:
    make = {"cssim": in_family, "companies": out_of_family}[generator]
    seeds = np.random.SeedSequence([seed, 0 if generator == "cssim" else 1]).spawn(companies)
    rows = []
    for i, s in enumerate(seeds):
        t = time.perf_counter()
        rows += make(i, s, paths)
        print(
            f"  {generator} {i:>2} ({SIZES[i % len(SIZES)]}): {time.perf_counter() - t:.1f} s",
            flush=True,
        )
    return pd.DataFrame(rows)


def _flag(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _one_se_factor(r) -> float:
    """The smallest factor whose backtest coverage is within one binomial standard error of 80%
    (``0.8 - sqrt(0.16 / N)`` over the N backtest points): a rule that leaves noise alone."""
    n = r.backtest_points
    if not n:
        return 1.0
    floor = 0.8 - np.sqrt(0.16 / n)
    for f in GRID:
        c = r[f"bt_{f:g}"]
        if c == c and c >= floor:
            return f
    return r.factor


def with_variants(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the variants compared: as fitted (k = 1), widened (the chosen factor), widened by
    the one-standard-error rule, and the oracle."""
    key = table.variant
    # calibrated by size band: its own "widened" rows (each band widened on its own past)
    banded = table["banded"].fillna(False).astype(bool) if "banded" in table else key != key
    k_se = table.apply(_one_se_factor, axis=1)
    parts = [
        table[key == "k=1"].assign(variant="as fitted"),
        table[
            (key == "widened") | ((key == "k=" + table.factor.map(lambda f: f"{f:g}")) & ~banded)
        ].assign(variant="widened"),
        table[key == "k=" + k_se.map(lambda f: f"{f:g}")].assign(variant="widened 1SE"),
        table[key == "oracle"],
    ]
    return pd.concat(parts, ignore_index=True)


def summarise(table: pd.DataFrame) -> None:
    """Print the targets per generator, variant, horizon and metric, and the PIT deciles."""
    table = with_variants(table)
    t = table.assign(
        inside=(table.p10 <= table.truth) & (table.truth <= table.p90),
        outside=(table.truth < table.p01) | (table.truth > table.p99),
        above=table.truth > table.p50,
        err=table.p50 / table.truth - 1,
        rcrps=table.crps / table.truth,
    )
    for gen, g in t.groupby("generator", sort=False):
        n = g.company.nunique()
        print(f"\n== generator {gen}: {n} companies ==")
        print(
            f"{'variant':<10} {'h':>3} {'metric':<9} {'in P10-P90':>16} {'median err':>16} "
            f"{'above P50':>15} {'out P1-P99':>15} {'CRPS/truth':>10}  PIT deciles"
        )
        for (variant, h, m), r in g.groupby(["variant", "horizon", "metric"], sort=False):
            cov, med, above, out = r.inside.mean(), r.err.median(), r.above.mean(), r.outside.mean()
            pit = np.histogram(r.pit.clip(0, 1 - 1e-12), bins=10, range=(0, 1))[0]
            print(
                f"{variant:<10} {h:>3} {m:<9} {cov:>10.1%} {_flag(0.7 <= cov <= 0.9)} "
                f"{med:>+10.2%} {_flag(abs(med) <= 0.03)} {above:>9.1%} {_flag(0.4 <= above <= 0.6)} "
                f"{out:>9.1%} {_flag(out <= 0.04)} {r.rcrps.mean():>10.4f}  {' '.join(map(str, pit))}"
            )
        f = g.drop_duplicates("company")
        print(
            f"widening factor: median {f.factor.median():g}, mean {f.factor.mean():.2f}, k=1 in "
            f"{(f.factor == 1).mean():.0%}, grid not enough in {(~f.reached).mean():.0%}; seconds "
            f"per company: calibrate {f.seconds_calibrate.mean():.1f}, widening "
            f"{f.seconds_widening.mean():.1f}"
        )
        if "leavers" in g:  # the MRR lean where the leavers' size differs (leaver_size)
            fitted = g[(g.variant == "as fitted") & (g.metric == "mrr")]
            per = fitted.groupby(["leavers_said", "horizon"]).err.median()
            print(
                f"leavers' MRR / average: median {f.leavers.median():.2f}, said in "
                f"{f.leavers_said.mean():.0%}; MRR median error as fitted, said / not: "
                + ", ".join(
                    f"{h} months {per.get((True, h), np.nan):+.1%} / {per.get((False, h), np.nan):+.1%}"
                    for h in HORIZONS
                )
            )
        if "break_after_data" in g and g.break_after_data.notna().any():
            w = g[(g.variant == "widened") & (g.horizon == 36)]
            after = w.break_after_data.astype(float) > 0.5  # bool, or 0/1 read back from a CSV
            per = w.groupby([after, "metric"]).err.median()
            print(
                "36 months, widened, median error with acquisition's trend break inside the data / "
                "after it: "
                + ", ".join(
                    f"{m} {per.get((False, m), np.nan):+.1%} / {per.get((True, m), np.nan):+.1%}"
                    for m in METRICS
                )
                + f" ({(f.break_after_data.astype(float) > 0.5).sum()} of {len(f)} after)"
            )
        print(
            "factor by size: "
            + ", ".join(f"{s}: {v:.2f}" for s, v in f.groupby("size").factor.mean().items())
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generator", choices=("cssim", "companies", "both"), default="both")
    ap.add_argument("--companies", type=int, default=48)
    ap.add_argument("--paths", type=int, default=500)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--csv", default=None, help="also write every row here")
    ap.add_argument(
        "--size-bands",
        type=int,
        default=None,
        help="default: band companies as cssim calibrate does unasked; 1: never; K: calibrate "
        f"companies of {BANDED_FROM}+ customers in K size bands (widened variant only; '1SE' then "
        "covers the others)",
    )
    ap.add_argument(
        "--growth-endurance",
        type=float,
        default=None,
        help="default: calibrate's prior on the fading of a fitted growth of new customers; a share "
        "0-1 sets it for every company (a sensitivity run)",
    )
    ap.add_argument("--from-csv", nargs="+", default=None, help="summarise saved rows only")
    args = ap.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.from_csv:
        summarise(pd.concat([pd.read_csv(p) for p in args.from_csv], ignore_index=True))
        return
    SIZE_BANDS["bands"] = args.size_bands
    ENDURANCE["growth_endurance"] = args.growth_endurance
    gens = ("cssim", "companies") if args.generator == "both" else (args.generator,)
    t0 = time.perf_counter()
    table = pd.concat([study(g, args.companies, args.paths, args.seed) for g in gens])
    if args.csv:
        table.to_csv(args.csv, index=False)
    summarise(table)
    print(
        f"\n{args.companies} companies per generator, {args.paths} paths, {time.perf_counter() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
