"""`feedbackwall run --demo` on a fresh store, as `make run` starts it: serves, seeds, grows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.servers import free_port, wait_for


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
