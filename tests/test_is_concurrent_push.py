"""Concurrent pushes from many sources into the same rollup buckets: none fails, none is lost."""

from __future__ import annotations

import random
import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.ingest.pipeline import ingest
from dashapp.store.models import LabelRollup, Response, Rollup
from tests.factories import located, record

SENDERS = 6
BATCHES = 8
SIZE = 60


def test_is_push001_concurrent_batches_over_shared_buckets(
    sessions: sessionmaker[Session],
) -> None:
    """Batches touching the same hours in different orders commit without deadlock.

    Each sender (its own source, as push tokens are) sends batches whose rows fall
    in the same 40 hours, shuffled differently: rollup and label-rollup rows are
    then locked by concurrent transactions in different orders unless the writes
    go in one order. One attempt each, as the push API makes.
    """
    errors: list[BaseException] = []
    accepted = [0] * SENDERS
    start = threading.Barrier(SENDERS)

    def send(sender: int) -> None:
        rng = random.Random(sender)
        try:
            start.wait()
            for b in range(BATCHES):
                rows = [
                    record(
                        sender * 100_000 + b * 1_000 + i,
                        submitted_at=f"2026-11-{10 + i % 5:02d}T{i % 8:02d}:30:00Z",
                        comment=f"Delivery was quick, parcel {sender}-{b}-{i}",
                        language="en",
                        country=("DE", "GB")[i % 2],
                        score=i % 11,
                    )
                    for i in range(SIZE)
                ]
                rng.shuffle(rows)
                report = ingest(sessions, f"push-{sender}", located(rows), attempts=1)
                accepted[sender] += report.accepted
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(s,)) for s in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert errors == []
    total = SENDERS * BATCHES * SIZE
    assert sum(accepted) == total
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == total
        assert session.scalar(select(func.sum(Rollup.n)).where(Rollup.grain == "h")) == total
        assert session.scalar(select(func.sum(Rollup.n)).where(Rollup.grain == "d")) == total
        commented = session.scalar(
            select(
                func.sum(LabelRollup.promoters + LabelRollup.passives + LabelRollup.detractors)
            ).where(LabelRollup.grain == "d", LabelRollup.label == "*")
        )
        assert commented == total
