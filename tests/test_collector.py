"""The collector: what start-up built is frozen in servers and imports; imports collect rarely."""

from __future__ import annotations

import gc
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from dashapp import collector
from dashapp.ingest.prepare import _start_worker
from dashapp.labels.taxonomy import default_text, parse_taxonomy
from dashapp.store import db

ROOT = Path(__file__).resolve().parents[1]


def test_gc001_tuned_freezes_what_lives_and_restores_the_collector() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    with collector.tuned_for_import():
        assert gc.get_threshold() == collector.IMPORT_THRESHOLDS
        assert gc.get_freeze_count() > frozen_before
        # Cycles made during the import are still collected.
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def _collector() -> tuple[tuple[int, int, int], int]:
    return gc.get_threshold(), gc.get_freeze_count()


def test_gc002_the_import_worker_starts_tuned_with_its_labeller_frozen() -> None:
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(parse_taxonomy(default_text()),),
    )
    with pool:
        thresholds, frozen = pool.submit(_collector).result(timeout=60)
    assert thresholds == collector.IMPORT_THRESHOLDS
    # The labeller's index alone is tens of thousands of objects.
    assert frozen > 50_000


def test_gc003_a_gunicorn_worker_freezes_what_start_up_built(tmp_path: Path) -> None:
    """`gunicorn app:server` imports app.py in each worker: the app is built, then frozen."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    probe = "import gc, app; print(gc.get_freeze_count(), len(gc.get_objects()))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "FEEDBACKWALL_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    frozen, still_tracked = map(int, done.stdout.split())
    # Dash, Plotly and the pages: a quarter of a million objects no collection walks again.
    assert frozen > 100_000
    assert still_tracked < frozen / 10
