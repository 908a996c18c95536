"""Hostile command lines and runs: scheduler addresses, two batches into one folder, a batch killed.

The cases of issue 21 that are not scenario files: every malformed ``--scheduler`` exits 2 before anything
runs and an unreachable one is refused within seconds; a second batch into the same ``--out`` is
refused at once and a killed batch's lock never blocks the next; ``kill -9`` of a batch takes its
workers with it and nothing is written after. A property-based family throws generated text at the
``--scheduler`` argument; :data:`SURFACES` counts what happened.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from .test_hostile_input import BASE, BASE_YAML, HOSTILE, _cli, _write


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile-runs")


# -- scheduler addresses ---------------------------------------------------------------------------------

MALFORMED_SCHEDULERS = [
    "notaurl",
    "http://127.0.0.1:8786",
    "",
    "tcp://127.0.0.1:99999",
    "tcp://:8786",
    "tcp://127.0.0.1",
    "tcp://127.0.0.1:0",
    "tcp://127.0.0.1:abc",
    "tcp://127.0.0.1:8786/path",
    "tcp://a b:8786",
]


@pytest.mark.parametrize("address", MALFORMED_SCHEDULERS)
def test_malformed_scheduler_addresses_exit_2_before_anything_runs(folder, address):
    out_dir = folder / "never"
    f = str(_write(folder, BASE_YAML))
    start = time.monotonic()
    out = _cli("run", f, "--out", str(out_dir), "--paths", "50", "--scheduler", address)
    assert out.returncode == 2, (address, out.stderr)
    assert time.monotonic() - start < 20
    assert "tcp://HOST:PORT" in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert not out_dir.exists()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", ["run", "batch", "sweep"])
def test_an_unreachable_scheduler_is_refused_within_seconds(folder, command):
    """Nothing listening: refused in the seconds a starting scheduler is given (STARTING_WAIT), with
    exit 2, not after a 31-second wait with exit 1."""
    from cssim.runs.distributed import STARTING_WAIT

    f = str(_write(folder, BASE_YAML))
    out_dir = folder / f"unreachable-{command}"
    extra = {"sweep": ["--vary", "churn.monthly=0.01,0.02"]}.get(command, [])
    address = f"tcp://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    out = _cli(command, f, *extra, "--out", str(out_dir), "--scheduler", address, "--paths", "50")
    took = time.monotonic() - start
    assert out.returncode == 2, out.stderr
    assert took < STARTING_WAIT + 10, f"took {took:.1f} s"
    assert "cannot reach a Dask scheduler" in out.stderr and address in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and not out_dir.exists()
    if command == "run":
        ja = _cli("--lang", "ja", command, f, "--out", str(out_dir), "--scheduler", address)
        assert ja.returncode == 2 and "Dask のスケジューラ" in ja.stderr, ja.stderr


# -- batches: two into one folder, and a killed one --------------------------------------------------------


def _slow_batch(folder: Path, n: int, name: str) -> Path:
    """``n`` scenarios of a few seconds each (10,000 paths over 60 months) in ``folder/name``."""
    src = folder / name
    src.mkdir()
    for i in range(n):
        data = copy.deepcopy(BASE)
        data["name"] = f"slow {i}"
        data["horizon_months"] = 60
        data["segments"][0]["churn"] = {"monthly": 0.01 + 0.002 * i}
        (src / f"s{i}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return src


CLI = (sys.executable, "-m", "cssim.cli")


def _batch(src: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "batch", str(src), "--out", str(out), *extra, "--no-report", "--paths", "10000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux: /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited (only its parent's reaping is left)


def _wait(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_killing_a_batch_kills_its_workers_and_nothing_more_is_written(folder):
    """kill -9 of a batch's main process (issue 21, 11): its workers exit within seconds and write no
    scenario after it (they went on writing into --out, then idled forever)."""
    import signal

    src, out = _slow_batch(folder, 6, "to-kill"), folder / "killed"
    batch = _batch(src, out, "--jobs", "2")
    workers: list[int] = []
    try:
        assert _wait(lambda: len(_children(batch.pid)) >= 2, 60), "the workers never started"
        assert _wait(lambda: (out / "manifest.json").exists(), 60)
        workers = _children(batch.pid)
        os.kill(batch.pid, signal.SIGKILL)
        killed_at = time.time()
        batch.wait(10)
        assert _wait(lambda: not any(_alive(p) for p in workers), 10), "workers outlived the batch"
        time.sleep(1.0)
        late = [
            p.relative_to(out)
            for p in out.rglob("*")
            if p.is_file() and p.stat().st_mtime > killed_at + 0.5
        ]
        assert not late, f"written after the batch was killed: {late}"
    finally:
        for pid in _children(batch.pid) + workers + [batch.pid]:  # never leave a worker behind
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        batch.wait(10)


def test_a_second_batch_into_the_same_folder_is_refused_at_once(folder):
    """Two batches into one --out (issue 21, 12): the second exits 2 at once naming the first; the
    first completes untouched."""
    src, out = _slow_batch(folder, 3, "shared-src"), folder / "shared"
    first = _batch(src, out)
    try:
        assert _wait(lambda: (out / "manifest.json").exists(), 60)
        start = time.monotonic()
        second = _cli("batch", str(src), "--out", str(out), "--no-report", "--paths", "10000")
        assert time.monotonic() - start < 20
        assert second.returncode == 2, second.stderr
        assert "another batch" in second.stderr and str(first.pid) in second.stderr, second.stderr
        ja = _cli("--lang", "ja", "batch", str(src), "--out", str(out), "--no-report")
        assert ja.returncode == 2 and "別のバッチ" in ja.stderr, ja.stderr
        _, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
        manifest = json.loads((out / "manifest.json").read_text())
        assert [e["status"] for e in manifest["scenarios"]] == ["ok"] * 3
    finally:
        first.kill()
        first.wait(10)


def test_the_lock_of_a_killed_batch_does_not_block_the_next(folder):
    import signal

    src, out = _slow_batch(folder, 2, "stale-src"), folder / "stale"
    first = _batch(src, out)
    assert _wait(lambda: (out / "manifest.json").exists(), 60)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    again = _cli("batch", str(src), "--out", str(out), "--no-report", "--paths", "10000")
    assert again.returncode == 0, again.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["status"] for e in manifest["scenarios"]] == ["ok", "ok"]


# -- generated addresses ---------------------------------------------------------------------------------

#: outcomes of the families of issue 21's surfaces that are not scenario files (scheduler addresses)
SURFACES: Counter = Counter()

addresses = st.one_of(
    st.text(st.sampled_from("tcpudxlsw:/[]. 0123456789abcdef-_@%?#"), max_size=40),
    st.tuples(
        st.sampled_from(["tcp", "tls", "ws", "wss", "ucx", "http", "https", "inproc", "TCP", ""]),
        st.sampled_from(["127.0.0.1", "localhost", "[::1]", "::1", "", "a b", "host.example"]),
        st.one_of(st.integers(-5, 70_000).map(str), st.sampled_from(["", "abc", "8786/x", "１"])),
    ).map(lambda t: (f"{t[0]}://" if t[0] else "") + t[1] + (f":{t[2]}" if t[2] != "" else "")),
)


@settings(HOSTILE, max_examples=2000)
@given(address=addresses)
def test_scheduler_addresses(address):
    """Any text given to --scheduler: read as HOST:PORT with a port of 1 to 65535, or refused by the
    argument's type with a message saying what an address looks like (exit 2 before anything runs)."""
    import argparse

    from cssim.cli.common import scheduler_address
    from cssim.runs.distributed import parse_address

    SURFACES["scheduler addresses tried"] += 1
    try:
        assert scheduler_address(address) == address
    except argparse.ArgumentTypeError as e:
        SURFACES["scheduler addresses refused"] += 1
        assert "tcp://HOST:PORT" in str(e), str(e)
        return
    SURFACES["scheduler addresses read"] += 1
    parsed = parse_address(address)
    assert 1 <= parsed.port <= 65535 and parsed.host and " " not in parsed.host


def test_zz_the_tally():
    """The counts for the report."""
    print(f"\nhostile runs: {dict(SURFACES)}")
    if SURFACES["scheduler addresses tried"]:
        assert SURFACES["scheduler addresses tried"] == (
            SURFACES["scheduler addresses refused"] + SURFACES["scheduler addresses read"]
        )


def test_a_scheduler_that_is_starting_is_waited_for(folder):
    """``dask scheduler &`` then at once ``cssim batch`` (the README's example): an address that starts
    listening a moment later is reached, not refused."""
    import socket
    import threading

    from cssim.runs.distributed import unreachable

    port = _closed_port()
    ready = threading.Event()

    def listen_later():
        time.sleep(1.5)
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
            s.listen()
            ready.set()
            conn, _ = s.accept()
            conn.close()

    t = threading.Thread(target=listen_later, daemon=True)
    t.start()
    assert unreachable(f"tcp://127.0.0.1:{port}") is None
    t.join(10)
    assert ready.is_set()
