"""Smart-label speed: labelling, relabelling a store, and theme discovery.

Measures, in one process, on the benchmark CSV's comments (simulated, in 11
languages, with the language as ingest stores it):

- labelling: ``Labeller.label`` on every comment, as ingest calls it; the first
  pass (stemmer caches cold) and the median of warm passes;
- baseline: only splitting the same comments into words (``text.tokens``),
  the floor any keyword matcher pays; reported as the ratio;
- relabel: a new taxonomy put in force over a store holding the CSV's first
  ``--store-rows`` rows, then ``relabel_step`` until done, as the scheduler does;
- discovery: one ``run_discovery`` over that store (both scopes).

    python -m benchmarks.label_speed --comments 50000 --store-rows 100000
    python -m benchmarks.label_speed --store-rows 0     # labelling only

Before/after a change to labelling, run the labelling-only form against both
checkouts (the old one with PYTHONPATH at its tree), alternating, and compare
the medians and each run's labelling-to-tokenising ratio (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from itertools import islice
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.common import require, save, timed
from benchmarks.import_speed import csv_for, fresh_store
from dashapp.ingest.pipeline import ingest
from dashapp.labels import discovered as themes
from dashapp.labels import store as label_store
from dashapp.labels.labelling import Labeller
from dashapp.labels.taxonomy import default_text, parse_taxonomy
from dashapp.labels.text import tokens
from dashapp.store import db
from dashapp.store.models import Response
from data_sources.files import read_records

TARGET_PER_S = 5_000


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="benchmark CSV size")
    parser.add_argument("--comments", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--store-rows", type=int, default=100_000, help="0: measure labelling only")
    args = parser.parse_args()
    path = csv_for(args.rows)
    comments = [
        (raw["comment"], raw.get("language") or None)
        for _, raw in read_records(path)
        if raw.get("comment")
    ][: args.comments]
    labeller = Labeller(parse_taxonomy(default_text()))

    def label_all() -> int:
        return sum(len(labeller.label(text, lang)) for text, lang in comments)

    def split_all() -> int:
        return sum(len(tokens(text)) for text, _ in comments)

    cold, found = timed(label_all)
    warm = [timed(label_all)[0] for _ in range(args.repeats)]
    floor = [timed(split_all)[0] for _ in range(args.repeats)]
    labelled = sum(1 for text, lang in comments if labeller.label(text, lang))
    result = {
        "comments": len(comments),
        "labels_found": found,
        "labelled_share": round(labelled / len(comments), 3),
        "label_cold_per_s": round(len(comments) / cold),
        "label_warm_per_s_median": round(len(comments) / statistics.median(warm)),
        "tokenize_per_s_median": round(len(comments) / statistics.median(floor)),
        "label_vs_tokenize": round(statistics.median(warm) / statistics.median(floor), 1),
    }
    print(result, flush=True)
    require(
        result["label_cold_per_s"] >= TARGET_PER_S,
        f"labelling {result['label_cold_per_s']}/s is below {TARGET_PER_S}/s",
    )
    if args.store_rows <= 0:
        save("label_speed", result)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_store(Path(tmp))
        sessions = db.make_sessionmaker(db.make_engine(url))
        ingest(sessions, "bench", islice(read_records(path), args.store_rows))
        text = default_text().replace('name = "Delivery"', 'name = "Shipping"')
        with sessions.begin() as session:
            label_store.save_taxonomy(session, text, "benchmark")

        def relabel() -> int:
            done = 0
            while True:
                with sessions.begin() as session:
                    step = label_store.relabel_step(session)
                if not step:
                    return done
                done += step

        seconds, relabelled = timed(relabel)
        result["relabel_comments"] = relabelled
        result["relabel_per_s"] = round(relabelled / seconds)
        with sessions.begin() as session:
            # The CSV ends on a fixed day: discover over its last two weeks.
            newest = session.scalar(select(func.max(Response.submitted_at)))
            seconds, found_themes = timed(lambda: themes.run_discovery(session, newest))
        result["discovery_seconds"] = round(seconds, 2)
        result["discovery_themes"] = found_themes
    print(result, flush=True)
    save("label_speed", result)


if __name__ == "__main__":
    main()
