"""One simulation spread over a Dask cluster: its blocks of paths as tasks, results back in block order.

:func:`cssim.simulate` imports this module only when it is given ``scheduler=ADDRESS``, so the model
itself never needs Dask. Every block carries the run's entropy and its block number, and its random
streams are keyed by both (:mod:`cssim.model.randomness`), so where a block runs never changes a number.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CONNECT_TIMEOUT",
    "SCHEMES",
    "AddressError",
    "DaskExecutor",
    "SchedulerAddress",
    "connect",
    "dask_executor",
    "parse_address",
    "unreachable",
]

#: The protocols a Dask scheduler listens on (``distributed.comm``); an address without one is tcp.
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
#: Seconds to wait for a TCP connection to the scheduler before saying it cannot be reached.
REACH_TIMEOUT = 3.0
#: Seconds to keep trying an address where nothing listens yet: a scheduler started a moment before
#: (``dask scheduler &`` then ``cssim batch``, as the README does) takes a few seconds to listen.
STARTING_WAIT = 10.0
#: How long the Dask client may take to greet a scheduler it reached (its own default is 30 s).
CONNECT_TIMEOUT = "10s"

_ADDRESS = re.compile(
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+)"
    r"(?::(?P<port>[^/]*))?$"
)


class AddressError(ValueError):
    """A scheduler address that is not ``tcp://HOST:PORT``: ``kind`` says what is wrong (``form``,
    ``scheme`` or ``port``), so that the command line can say it in the reader's language."""

    def __init__(self, kind: str, address: str, detail: str = ""):
        self.kind, self.address, self.detail = kind, address, detail
        what = {
            "form": "",
            "scheme": f"a Dask scheduler speaks {', '.join(SCHEMES)}, not {detail}; ",
            "port": f"the port must be a whole number from 1 to 65535, not {detail!r}; ",
        }[kind]
        super().__init__(
            f"{address!r} is not a scheduler address: {what}write tcp://HOST:PORT, such as "
            "tcp://127.0.0.1:8786"
        )


@dataclass(frozen=True)
class SchedulerAddress:
    """A Dask scheduler's address, read by :func:`parse_address`."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def parse_address(text: str) -> SchedulerAddress:
    """Read ``tcp://HOST:PORT`` (or ``HOST:PORT``, which Dask reads as tcp; ``tls``, ``ws``, ``wss``
    and ``ucx`` too; an IPv6 host in brackets). Raises :class:`AddressError`."""
    m = _ADDRESS.match(text) if isinstance(text, str) else None
    if m is None or m.group("port") is None:
        raise AddressError("form", str(text))
    scheme = (m.group("scheme") or "tcp").lower()
    if scheme not in SCHEMES:
        raise AddressError("scheme", text, scheme)
    port = m.group("port")
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise AddressError("port", text, port)
    return SchedulerAddress(scheme, m.group("host"), int(port))


def unreachable(
    address: str, timeout: float = REACH_TIMEOUT, starting: float = STARTING_WAIT
) -> tuple[str, str] | None:
    """Why nothing answers at ``address`` (a TCP connection within ``timeout`` seconds), or None.

    ``("refused", "")``: nothing listens on that port, tried again for ``starting`` seconds (a
    scheduler that is starting); ``("timeout", seconds)``: no answer; ``("host", host)``: the host
    name is not known; ``("other", reason)`` otherwise. A ``ucx`` address is not checked (not TCP).
    """
    import time

    a = parse_address(address)
    if a.scheme == "ucx":
        return None
    host = a.host.strip("[]")
    give_up = time.monotonic() + starting
    try:
        while True:
            try:
                with socket.create_connection((host, a.port), timeout=timeout):
                    return None
            except ConnectionRefusedError:
                if time.monotonic() >= give_up:
                    raise
                time.sleep(0.25)
    except ConnectionRefusedError:
        return ("refused", "")
    except TimeoutError:
        return ("timeout", f"{timeout:g}")
    except socket.gaierror:
        return ("host", host)
    except OSError as e:
        return ("other", e.strerror or type(e).__name__)


def connect(address: str, timeout: str = CONNECT_TIMEOUT):
    """A Dask client connected to the scheduler at ``address``, refused quickly when it is malformed
    (:class:`AddressError`) or nothing answers there (``RuntimeError``, within a few seconds).

    Raises
    ------
    RuntimeError
        If dask.distributed is not installed or the scheduler cannot be reached.
    """
    try:
        from distributed import Client
    except ImportError as e:  # pragma: no cover - the dask extra is installed by make setup
        raise RuntimeError("scheduler= needs dask.distributed: pip install 'cssim[dask]'") from e
    why = unreachable(address)
    if why is not None:
        raise RuntimeError(f"cannot reach the Dask scheduler at {address!r}: {why[0]} {why[1]}")
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as e:
        raise RuntimeError(f"cannot reach the Dask scheduler at {address!r}: {e}") from e


class DaskExecutor(Executor):
    """A ``concurrent.futures`` executor over a connected Dask client.

    Tasks are submitted with ``pure=False``: Dask would otherwise treat equal arguments as the same task
    and hand back one cached result. :attr:`window` (twice the cluster's threads) is how many blocks
    :func:`cssim.simulate` keeps in flight, so results never pile up on the workers or in the client.
    """

    def __init__(self, client: Any):
        self.client = client
        self._futures = client.get_executor(pure=False)  # concurrent.futures.Future results
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        self.window = max(2, 2 * threads)

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any):  # type: ignore[override]
        """Run ``fn(*args, **kwargs)`` on a worker; a ``concurrent.futures.Future`` of its result."""
        return self._futures.submit(fn, *args, **kwargs)


@contextmanager
def dask_executor(address: str, timeout: str = "30s"):
    """Connect to the Dask scheduler at ``address`` (``tcp://host:port``, :func:`connect`) and yield a
    :class:`DaskExecutor`; ``timeout`` is how long to wait for a first worker.

    Raises
    ------
    AddressError
        If ``address`` is not a scheduler address.
    RuntimeError
        If dask.distributed is not installed, the scheduler cannot be reached or it has no workers.
    """
    client = connect(address)
    try:
        if not client.scheduler_info()["workers"]:
            client.wait_for_workers(1, timeout=timeout)
        yield DaskExecutor(client)
    finally:
        client.close()
