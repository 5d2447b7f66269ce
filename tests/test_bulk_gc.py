"""The collector during a bulk import: what lives long frozen, collections rarer, then as before."""

from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from dashapp.ingest import bulk_gc
from dashapp.ingest.prepare import _start_worker
from dashapp.labels.taxonomy import default_text, parse_taxonomy


def test_gc001_tuned_freezes_what_lives_and_restores_the_collector() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    with bulk_gc.tuned():
        assert gc.get_threshold() == bulk_gc.THRESHOLDS
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
    assert thresholds == bulk_gc.THRESHOLDS
    # The labeller's index alone is tens of thousands of objects.
    assert frozen > 50_000
