"""The same batch and sweep on a real Dask cluster (scheduler and worker processes on loopback)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import cssim
from cssim.analysis.sweep import sweep
from cssim.model.result import SimulationResult
from cssim.runs.batch import run_batch
from cssim.runs.executors import executor

distributed = pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as c:
        yield c.scheduler_address


def test_dask_batch_matches_local(cluster, tmp_path):
    src = tmp_path / "s"
    src.mkdir()
    shutil.copy(ROOT / "scenarios" / "growth-vs-churn.yaml", src / "a.yaml")
    (src / "bad.yaml").write_text("name: bad\nsegments: {}\n")
    local = run_batch([src], tmp_path / "local", paths=1500, seed=5, report=False, progress=False)
    remote = run_batch(
        [src],
        tmp_path / "dask",
        paths=1500,
        seed=5,
        report=False,
        progress=False,
        scheduler=cluster,
    )
    assert (
        [e["status"] for e in remote.entries]
        == [e["status"] for e in local.entries]
        == ["ok", "failed"]
    )
    assert remote.exit_code == 1
    a = SimulationResult.load(tmp_path / "local" / "a" / "result.npz")
    b = SimulationResult.load(tmp_path / "dask" / "a" / "result.npz")
    for m in ("customers", "mrr", "churned_mrr"):
        np.testing.assert_array_equal(a[m], b[m])
    assert remote.entries[0]["headline"] == local.entries[0]["headline"]


def test_dask_sweep_matches_local(cluster):
    base = cssim.load_scenario("scenarios/growth-vs-churn.yaml").replace({"horizon_months": 12})
    vary = {"churn.monthly": [0.02, 0.03], "acquisition.rate": [0.1, 0.3]}
    local = sweep(base, vary, paths=800, seed=6)
    with executor(scheduler=cluster) as dask:
        remote = sweep(base, vary, paths=800, seed=6, executor=dask)
    with executor(jobs=2) as pool:
        processes = sweep(base, vary, paths=800, seed=6, executor=pool)
    assert local.table.equals(remote.table)
    assert local.table.equals(processes.table)


def test_simulate_through_a_dask_executor_is_bit_identical(cluster):
    s = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
    with distributed.Client(cluster) as client:
        remote = cssim.simulate(s, paths=2500, seed=8, executor=client.get_executor(pure=False))
    local = cssim.simulate(s, paths=2500, seed=8)
    np.testing.assert_array_equal(remote["mrr"], local["mrr"])
