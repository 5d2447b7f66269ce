"""`feedbackwall run --demo` on a fresh store, as `make run` starts it: serves, seeds, grows."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import httpx

from dashapp.web.serve import PER_CLIENT_CONNECTIONS
from tests.servers import free_port, relay, wait_for


def test_run001_demo_serves_and_grows(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "FEEDBACKWALL_DATABASE_URL": f"sqlite:///{tmp_path / 'wall.db'}",
        "FEEDBACKWALL_DEMO_INTERVAL": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashapp.cli", "run", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(f"{base}/healthz").status_code == 200, 30)
        assert httpx.get(f"{base}/").status_code == 200
        # This machine's browser is signed in; through a proxy, or by another name, nobody is.
        assert httpx.get(f"{base}/api/v1/nps").status_code == 200
        proxied = httpx.get(f"{base}/api/v1/nps", headers={"X-Forwarded-For": "192.0.2.7"})
        assert proxied.status_code == 401
        renamed = httpx.get(f"{base}/api/v1/nps", headers={"Host": "wall.example.com"})
        assert renamed.status_code == 401

        def total() -> int:
            rows = httpx.get(f"{base}/api/v1/nps?window=3660d").json()["rows"]
            return rows[0]["n"] if rows else 0

        seeded = wait_for(lambda: total() > 10_000 and total(), 120)
        grown = wait_for(lambda: total() > seeded and total(), 20)
        assert grown > seeded
        demo = httpx.get(f"{base}/readyz").json()["sources"]["demo"]
        assert demo["failing"] is False
        assert demo["lag_seconds"] is not None
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _demo(tmp_path: Path, host: str) -> tuple[subprocess.Popen[str], int]:
    """`feedbackwall run --demo` bound to *host* (no scheduled work: nothing to seed); its port."""
    port = free_port()
    env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": f"sqlite:///{tmp_path / f'{port}.db'}"}
    command = ["run", "--demo", "--no-scheduler", "--host", host, "--port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashapp.cli", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200, 30)
    return proc, port


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_run002_demo_sign_in_is_decided_by_the_sockets_not_the_headers(tmp_path: Path) -> None:
    """Bound to every address, the demo signs in nobody, not even this machine asking for
    "localhost"; bound to loopback it signs in loopback peers: a relay on this machine (here on
    127.0.0.2) makes its clients look local, which is what the README says it cannot tell."""
    local = {"Host": "localhost"}
    proc, port = _demo(tmp_path, "0.0.0.0")
    try:
        for host in ("127.0.0.1", "localhost"):
            answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/nps", headers={"Host": host})
            assert answer.status_code == 401, host
        with relay("127.0.0.2", ("127.0.0.1", port)) as hop:
            relayed = httpx.get(f"http://127.0.0.2:{hop}/api/v1/nps", headers=local)
            assert relayed.status_code == 401
    finally:
        out = _stop(proc)
    assert "nobody is signed in automatically" in out
    proc, port = _demo(tmp_path, "127.0.0.1")
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/nps").status_code == 200
        with relay("127.0.0.2", ("127.0.0.1", port)) as hop:
            relayed = httpx.get(f"http://127.0.0.2:{hop}/api/v1/nps", headers=local)
            assert relayed.status_code == 200  # the relay's own connection is local
            # What a proxy says, or a name this machine does not go by, still refuses.
            proxied = httpx.get(
                f"http://127.0.0.2:{hop}/api/v1/nps", headers={"X-Forwarded-For": "192.0.2.7"}
            )
            assert proxied.status_code == 401
    finally:
        out = _stop(proc)
    assert "this machine's browser is signed in" in out


@contextmanager
def _serving(tmp_path: Path) -> Iterator[int]:
    """`feedbackwall run` on a fresh SQLite store; yields its port once it answers."""
    port = free_port()
    env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": f"sqlite:///{tmp_path / 'wall.db'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashapp.cli", "run", "--no-scheduler", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200, 30)
        yield port
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _connect(port: int, source: str) -> socket.socket | None:
    """A connection from *source* (a loopback address of its own), or None if refused."""
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=2, source_address=(source, 0))
    except OSError:
        return None


def _served_within(port: int, seconds: float) -> float:
    """Seconds a new client's /healthz took (fails beyond *seconds*)."""
    started = time.monotonic()
    answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=seconds)
    assert answer.status_code == 200
    return time.monotonic() - started


def test_run003_one_client_cannot_starve_the_others(tmp_path: Path) -> None:
    """100 half-sent requests (one client) and 150 idle keep-alive connections (another)
    leave a third client served within 2 s, and a huge body is refused before it is sent."""
    with _serving(tmp_path) as port, ExitStack() as held:
        # Bounded in time too: a server that stops accepting must not stall the test for long.
        deadline = time.monotonic() + 30
        # Slowloris: requests whose headers never end, from 127.0.0.2.
        for _ in range(100):
            sock = _connect(port, "127.0.0.2")
            if sock is not None:
                held.callback(sock.close)
                with suppress(OSError):
                    sock.sendall(b"POST /api/v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        # Idle keep-alive connections, each after one answered request, from 127.0.0.3.
        answered = 0
        for _ in range(150):
            sock = _connect(port, "127.0.0.3") if time.monotonic() < deadline else None
            if sock is not None:
                held.callback(sock.close)
                with suppress(OSError):
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    answered += sock.recv(4096).startswith(b"HTTP/1.1 200 ")
        # One address holds at most its share; the rest of its connections are closed.
        assert answered == PER_CLIENT_CONNECTIONS
        # Someone else is served at once, again and again, while both hold on.
        assert max(_served_within(port, 2.0) for _ in range(5)) < 2.0
        # A body over the limit is refused from its Content-Length, before it is sent,
        # whether or not the sender is authenticated.
        for auth in (b"", b"Authorization: Bearer fwi_nonsense\r\n"):
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            held.callback(sock.close)
            sock.sendall(
                b"POST /api/v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + auth
                + b"Content-Type: application/json\r\nContent-Length: 900000000\r\n\r\n"
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")
