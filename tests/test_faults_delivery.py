"""SIGKILL to the scheduler in the middle of an alert delivery: after a restart, nothing is lost."""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import select

from dashapp.ingest.pipeline import ingest
from dashapp.jobs.alerts import DELIVERY_HEADER, MARK
from dashapp.store import db
from dashapp.store.models import AlertDelivery, StoreMeta
from tests.factories import located, record
from tests.servers import wait_for


class HangingReceiver:
    """A webhook receiver that holds its first request open (so the sender can be killed in it)."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.acked: collections.Counter[str] = collections.Counter()
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers[DELIVERY_HEADER]
                receiver.received.append(delivery)
                if not receiver.first_arrived.is_set():
                    receiver.first_arrived.set()
                    receiver.release.wait(20)  # the sender dies meanwhile
                    return  # no answer: this one was never acknowledged
                receiver.acked[delivery] += 1
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_fault003_killed_mid_delivery_resumes_exactly_once_per_ack(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    hook = HangingReceiver()
    config = tmp_path / "wall.toml"
    config.write_text(
        f'[[alerts]]\nname = "detractors"\nwebhook = "{hook.url}"\n'
        f'secret = "a-secret-of-twenty-chars"\n'
    )
    env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": url, "FEEDBACKWALL_CONFIG": str(config)}
    cmd = [sys.executable, "-m", "dashapp.cli", "scheduler"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    proc = subprocess.Popen(cmd, env=env, **quiet)  # type: ignore[call-overload]
    try:

        def scanned() -> bool:
            with sessions() as session:
                return session.get(StoreMeta, MARK) is not None

        wait_for(scanned, 60)  # history before the first scan never alerts
        now = dt.datetime.now(dt.UTC).isoformat()  # recent: history never alerts
        ingest(
            sessions,
            "shop",
            located([record(i, score=i, submitted_at=now) for i in range(1, 4)]),
        )
        assert hook.first_arrived.wait(30)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        hook.release.set()
        interrupted = hook.received[0]
        proc = subprocess.Popen(cmd, env=env, **quiet)  # type: ignore[call-overload]

        def all_delivered() -> bool:
            with sessions() as session:
                rows = session.scalars(select(AlertDelivery)).all()
                return len(rows) == 3 and all(r.delivered_at is not None for r in rows)

        # The dead holder's lease expires first (about 45 s), then delivery resumes.
        wait_for(all_delivered, 150)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        hook.release.set()
        hook.server.shutdown()
    time.sleep(0.5)
    # Every alert acknowledged exactly once; the one cut off was sent again with its id.
    assert sorted(hook.acked.values()) == [1, 1, 1]
    assert hook.acked[interrupted] == 1
    assert hook.received.count(interrupted) == 2
    with sessions() as session:
        assert {str(r.id) for r in session.scalars(select(AlertDelivery))} == set(hook.acked)
