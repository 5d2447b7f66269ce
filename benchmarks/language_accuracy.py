"""Language detection: choosing among the country's languages against choosing among all.

On the benchmark CSV's comments whose language is known (the simulator wrote
them in that language), detect again with the language hidden, once with the
response's country narrowing the candidates (what ingest does) and once among
all supported languages (the baseline); report accuracy and speed of both.

    python -m benchmarks.language_accuracy --rows 200000
"""

from __future__ import annotations

import argparse

from benchmarks.common import save, timed
from benchmarks.import_speed import csv_for
from dashapp.ingest import language
from data_sources.files import read_records


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--comments", type=int, default=20_000)
    args = parser.parse_args()
    known = [
        raw
        for _, raw in read_records(csv_for(args.rows))
        if raw.get("comment") and raw.get("language")
    ][: args.comments]
    texts = [r["comment"] for r in known]
    truth = [r["language"] for r in known]
    countries = [r["country"] for r in known]
    language.detect(texts[:100], countries[:100])  # build the detectors outside the timing
    language.detect(texts[:100])
    result = {"comments": len(known)}
    for name, kwargs in (("by_country", {"countries": countries}), ("all_languages", {})):
        seconds, found = timed(lambda kw=kwargs: language.detect(texts, **kw))
        correct = sum(f == t for f, t in zip(found, truth, strict=True))
        result[name] = {
            "accuracy": round(correct / len(known), 4),
            "comments_per_s": round(len(known) / seconds),
        }
        print(f"{name}: {correct / len(known):.2%} correct, {len(known) / seconds:,.0f} comments/s")
    print(save("language-accuracy", result))


if __name__ == "__main__":
    main()
