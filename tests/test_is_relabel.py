"""`feedbackwall labels relabel`: the pending relabelling, run at once from the command line."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from dashapp.ingest.pipeline import ingest
from dashapp.store import db
from dashapp.store.models import ResponseLabel
from tests.factories import located, record
from tests.test_cli import invoke


def _labels(url: str) -> set[str]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        found = set(conn.scalars(select(ResponseLabel.label)))
    engine.dispose()
    return found


def test_is_relabel001_runs_pending_relabelling_now(store_url: str, tmp_path: Path) -> None:
    ingest(
        db.make_sessionmaker(db.make_engine(store_url)),
        "shop",
        located(
            [
                record(i, comment="Paid with PayPal, easy and quick", language="en", country="GB")
                for i in range(30)
            ]
        ),
    )
    assert "payment" in _labels(store_url)
    _, out, _ = invoke(store_url, "labels", "relabel")
    assert "nothing to relabel" in out
    exported = tmp_path / "taxonomy.toml"
    invoke(store_url, "labels", "export", str(exported))
    text = exported.read_text("utf-8")
    block = text.index("[labels.payment]")
    en = re.compile(r"\nen = \[.*?\]\n", re.S).search(text, block)
    assert en is not None
    # Payment keeps its place but no English word: the stored comments lose it.
    trimmed = text[: en.start()] + '\nen = ["zzzunused"]\n' + text[en.end() :]
    changed = tmp_path / "changed.toml"
    changed.write_text(trimmed, "utf-8")
    code, out, err = invoke(store_url, "labels", "import", str(changed))
    assert code == 0, err
    code, out, _ = invoke(store_url, "labels", "relabel")
    assert code == 0
    assert out.strip() == "relabelled 30 comments"
    assert not any(label.split("/")[0] == "payment" for label in _labels(store_url))
    _, out, _ = invoke(store_url, "labels", "relabel")
    assert "nothing to relabel" in out
