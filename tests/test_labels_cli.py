"""``feedbackwall labels``: apply, export/import, stats, themes and theme -> label; discovery."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashapp.ingest.pipeline import ingest
from dashapp.labels.discovery import Comment, discover, is_growing, is_new
from dashapp.store import db
from dashapp.store.models import ResponseLabel, TaxonomyVersion
from tests.factories import located, record
from tests.test_cli import invoke

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def write_comments(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "comment", "language"])
        writer.writerows(rows)
    return path


def test_lcli001_apply_prints_labels_and_stores_nothing(store_url: str, tmp_path: Path) -> None:
    path = write_comments(
        tmp_path / "comments.csv",
        [
            ("a1", "Fast delivery but the box was crushed", "en"),
            ("a2", "Die Rücksendung war kompliziert", ""),
            ("a3", "ok", "en"),
        ],
    )
    code, out, _ = invoke(store_url, "labels", "apply", str(path))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0] == {
        "id": "a1",
        "language": "en",
        "labels": "Delivery;Packaging",
        "sentiments": "positive;negative",
    }
    # No language given: detected, then labelled in it.
    assert rows[1]["language"] == "de"
    assert rows[1]["labels"] == "Returns"
    assert rows[2]["labels"] == ""
    code, out, _ = invoke(store_url, "labels", "apply", str(path), "--format", "json")
    assert json.loads(out)[0]["labels"] == "Delivery;Packaging"
    engine = db.make_engine(store_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ResponseLabel)) == 0
    engine.dispose()


def test_lcli002_apply_bad_input_names_the_line(store_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("ident,text\n1,hello\n", encoding="utf-8")
    code, _, err = invoke(store_url, "labels", "apply", str(bad))
    assert code != 0
    assert "line 1 has no 'id' column" in err
    empty_id = write_comments(tmp_path / "e.csv", [("", "hello", "en")])
    code, _, err = invoke(store_url, "labels", "apply", str(empty_id))
    assert code != 0
    assert "line 2: field 'id' is empty" in err
    assert "Traceback" not in err


def test_lcli003_export_edit_import_and_try_before_saving(store_url: str, tmp_path: Path) -> None:
    exported = tmp_path / "taxonomy.toml"
    code, out, _ = invoke(store_url, "labels", "export", str(exported))
    assert code == 0
    assert "version 0 (22 labels)" in out
    text = exported.read_text("utf-8")
    edited = text.replace('[labels.payment]\nname = "Payment"', '[labels.payment]\nname = "Paying"')
    assert edited != text
    changed = tmp_path / "changed.toml"
    changed.write_text(edited, "utf-8")
    comments = write_comments(tmp_path / "c.csv", [("1", "Paid with PayPal, easy", "en")])
    # Try it first: nothing saved.
    _, out, _ = invoke(store_url, "labels", "apply", str(comments), "--taxonomy", str(changed))
    assert "Paying" in out
    _, out, _ = invoke(store_url, "labels", "apply", str(comments))
    assert "Payment" in out
    code, out, _ = invoke(store_url, "labels", "import", str(changed))
    assert code == 0
    assert "taxonomy version 1 in force: 22 labels in 11 languages" in out
    _, out, _ = invoke(store_url, "labels", "export", "-")
    assert 'name = "Paying"' in out
    # A broken file is refused whole, every problem named with its place.
    broken = tmp_path / "broken.toml"
    broken.write_text(
        edited.replace('name = "Paying"', 'name = ""').replace('"paypal"', '"*"', 1), "utf-8"
    )
    code, _, err = invoke(store_url, "labels", "import", str(broken))
    assert code != 0
    assert 'labels."payment".name: a label needs a name' in err
    assert 'labels."payment".en[' in err
    engine = db.make_engine(store_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(TaxonomyVersion)) == 1
    engine.dispose()


def themed_comments(n: int) -> list[dict[str, object]]:
    """Swedish comments on two themes (one only this week) and noise."""
    rng = random.Random(3)
    rows = []
    for i in range(n):
        this_week = i % 2 == 0
        at = NOW - dt.timedelta(days=rng.uniform(0, 6.5) if this_week else rng.uniform(7.5, 13))
        kind = i % 3
        if kind == 0:
            text = rng.choice(
                [
                    "Appen loggar ut mig hela tiden",
                    "appen loggar ut mig varje gång",
                    "Varför loggar appen ut mig hela tiden?",
                ]
            )
        elif kind == 1 and this_week:
            text = rng.choice(
                [
                    "Presentkortet gick inte att lösa in",
                    "presentkortet fungerade inte i kassan",
                    "Kunde inte lösa in presentkortet",
                ]
            )
        else:
            text = rng.choice(["Allt var bra", "Nöjd med köpet", "Bra pris och snabbt"])
        rows.append(
            record(i, submitted_at=at.isoformat(), comment=text, language="sv", country="SE")
        )
    return rows


def test_lcli004_discovery_names_themes_and_marks_new_ones() -> None:
    comments = [
        Comment(i, str(r["comment"]), "sv", dt.datetime.fromisoformat(str(r["submitted_at"])))
        for i, r in enumerate(themed_comments(240))
    ]
    found = discover(comments, NOW)
    names = [t.name for t in found]
    app = next(t for t in found if "loggar" in t.terms or "appen" in t.terms)
    gift = next(t for t in found if any("presentkort" in term for term in t.terms))
    assert app.size >= 40, names
    assert gift.size >= 25, names
    assert gift.last_week == 0
    assert is_new(gift.this_week, gift.last_week)
    assert not is_new(app.this_week, app.last_week)
    # The examples shown for a theme are comments about it.
    assert len(gift.examples) == 3
    assert all("presentkort" in comments[i].text.lower() for i in gift.examples)
    assert is_growing(20, 5)
    assert not is_growing(6, 5)
    # Too few comments in a language: nothing to say, no error.
    assert discover(comments[:10], NOW) == []


def test_lcli007_embedding_backend_finds_the_same_themes() -> None:
    comments = [
        Comment(i, str(r["comment"]), "sv", dt.datetime.fromisoformat(str(r["submitted_at"])))
        for i, r in enumerate(themed_comments(120))
    ]
    found = discover(comments, NOW, backend="e5")
    gift = next(t for t in found if any("presentkort" in term for term in t.terms))
    members = {comments[i].text.lower() for i in gift.member_ids}
    assert all("presentkort" in text for text in members)
    assert is_new(gift.this_week, gift.last_week)


def test_lcli005_themes_cli_and_theme_to_label(store_url: str) -> None:
    sessions = db.make_sessionmaker(db.make_engine(store_url))
    ingest(sessions, "shop", located(themed_comments(240)))
    code, out, _ = invoke(
        store_url, "labels", "themes", "--discover", "--scope", "all", "--format", "json"
    )
    assert code == 0
    themes = json.loads(out)
    gift = next(t for t in themes if any("presentkort" in term for term in t["terms"]))
    assert gift["status"] == "new"
    assert len(gift["examples"]) == 3
    code, out, _ = invoke(
        store_url,
        "labels",
        "from-theme",
        str(gift["id"]),
        "--name",
        "Gift cards",
        "--parent",
        "payment",
    )
    assert code == 0, out
    assert "label payment/gift-cards added" in out
    _, out, _ = invoke(store_url, "labels", "export", "-")
    assert '[labels."payment/gift-cards"]' in out
    code, _, err = invoke(
        store_url,
        "labels",
        "from-theme",
        str(gift["id"]),
        "--name",
        "Gift cards",
        "--parent",
        "payment",
    )
    assert code != 0
    assert "already exists" in err
    code, _, err = invoke(store_url, "labels", "from-theme", "999999", "--name", "X")
    assert code != 0
    assert "theme 999999 does not exist" in err


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_lcli006_stats_formats(store_url: str, fmt: str) -> None:
    sessions = db.make_sessionmaker(db.make_engine(store_url))
    rows = [
        record(
            i,
            submitted_at=(NOW - dt.timedelta(hours=i)).isoformat(),
            score=i % 11,
            comment="Die Lieferung kam zu spät",
            language="de",
        )
        for i in range(40)
    ]
    ingest(sessions, "shop", located(rows))
    code, out, _ = invoke(store_url, "labels", "stats", "--window", "30d", "--format", fmt)
    assert code == 0
    if fmt == "json":
        by_id = {r["label"]: r for r in json.loads(out)}
        assert by_id["delivery"]["volume"] == 40
        assert by_id["delivery"]["negative"] == 40
        assert by_id["delivery"]["share_pct"] == 100.0
    elif fmt == "csv":
        assert out.splitlines()[0].startswith("label,path,depth,volume")
    else:
        assert "Delivery time" in out
    code, _, err = invoke(store_url, "labels", "stats", "--window", "soon")
    assert code != 0
    assert "window" in err
