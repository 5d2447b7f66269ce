"""The feedbackwall command: import contract, NPS output, sources and tokens, config errors."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from dashapp.cli.main import AHEAD_MIN_BYTES, _worth_a_worker, main
from dashapp.ingest.pipeline import ingest
from dashapp.store import db
from dashapp.store.models import Response, Rollup
from tests.conftest import PG_URL
from tests.factories import located, random_records, record, write_csv, write_jsonl
from tests.servers import children


def invoke(store_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"FEEDBACKWALL_DATABASE_URL": store_url})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def stored(store_url: str) -> int:
    engine = db.make_engine(store_url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(Response)) or 0
    engine.dispose()
    return count


BAD_ROWS = [
    record(2, score="11"),
    record(3, score="ten"),
    record(4, score="7.5"),
    record(5, submitted_at="2026-11-20 10:00:00"),
    record(6, submitted_at="20/11/2026"),
    record(7, country="XX"),
    record(8, brand=""),
    record(9, id=""),
]


def test_cli001_import_summary_and_rejects_file(store_url: str, tmp_path: Path) -> None:
    rows = [record(1), *BAD_ROWS, record(10, order_value="59.90")]
    path = write_csv(tmp_path / "survey.csv", rows)
    code, out, err = invoke(store_url, "import", str(path))
    assert code == 0
    assert out.strip().splitlines()[-1] == "accepted 2, duplicates 0, rejected 8"
    rejects = list(csv.DictReader((tmp_path / "survey.csv.rejects.csv").open()))
    got = {(r["location"], r["field"]) for r in rejects}
    # Header is line 1, so record i of BAD_ROWS sits on line i + 3.
    assert got == {
        ("line 3", "score"),
        ("line 4", "score"),
        ("line 5", "score"),
        ("line 6", "submitted_at"),
        ("line 7", "submitted_at"),
        ("line 8", "country"),
        ("line 9", "brand"),
        ("line 10", "id"),
    }
    assert all(r["reason"] for r in rejects)
    assert "survey.csv.rejects.csv" in err
    # The second import of the same file stores nothing new.
    code, out, _ = invoke(store_url, "import", str(path))
    assert out.strip().splitlines()[-1] == "accepted 0, duplicates 2, rejected 8"
    assert stored(store_url) == 2


def test_cli002_strict_writes_nothing(store_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [record(1), record(2, score="11")])
    code, out, err = invoke(store_url, "import", "--strict", str(path))
    assert code == 1
    assert "nothing was written" in err
    assert out.strip() == "accepted 0, duplicates 0, rejected 1"
    assert stored(store_url) == 0


def test_cli003_jsonl_with_broken_lines(store_url: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [record(1), "{not json", "[1, 2]", record(2)])
    _code, out, _ = invoke(store_url, "import", str(path))
    assert out.strip().splitlines()[-1] == "accepted 2, duplicates 0, rejected 2"
    rejects = list(csv.DictReader((tmp_path / "s.jsonl.rejects.csv").open()))
    assert [(r["location"], r["field"]) for r in rejects] == [
        ("line 2", "record"),
        ("line 3", "record"),
    ]
    assert "not valid JSON" in rejects[0]["reason"]


def test_cli004_missing_column_is_a_clear_error(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,brand\n1,Velora\n")
    code, out, err = invoke(store_url, "import", str(path))
    assert code != 0
    assert "missing column(s) submitted_at, country, touchpoint, score" in err
    assert "Traceback" not in out + err


def test_cli005_nps_csv_and_json_match_api_contract(store_url: str) -> None:
    end = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    sessions = db.make_sessionmaker(db.make_engine(store_url))
    rows = list(random_records(2000, end=end, days=40))
    ingest(sessions, "s", located(rows))
    args = ["nps", "--by", "country,brand", "--window", "30d", "--as-of", end.isoformat()]
    _, out, _ = invoke(store_url, *args, "--format", "csv")
    lines = out.strip().splitlines()
    assert lines[0] == "country,brand,n,promoters,passives,detractors,nps,ci_low,ci_high,too_small"
    # Every figure by hand from the raw rows.
    start = end - dt.timedelta(days=30)
    want: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        at = dt.datetime.fromisoformat(r["submitted_at"])
        if start < at <= end:
            acc = want.setdefault((r["country"], r["brand"]), [0, 0, 0])
            s = r["score"]
            acc[0 if s >= 9 else 1 if s >= 7 else 2] += 1
    assert len(lines) - 1 == len(want)
    for line in lines[1:]:
        country, brand, n, p, pa, d, nps_, low, high, small = line.split(",")
        assert [int(p), int(pa), int(d)] == want[(country, brand)]
        assert int(n) == sum(want[(country, brand)])
        assert small == str(int(n) < 10)  # the default minimum n
        assert float(nps_) == round(100 * (int(p) - int(d)) / int(n), 1)
        assert float(low) <= float(nps_) <= float(high)
        assert all(len(v.split(".")[1]) == 1 for v in (nps_, low, high))
    _, out, _ = invoke(store_url, *args, "--format", "json", "--country", "DE")
    records = json.loads(out)
    assert {r["country"] for r in records} == {"DE"}
    assert set(records[0]) >= {"country", "brand", "n", "nps", "ci_low", "ci_high", "too_small"}


def test_cli006_bad_parameters_name_themselves(store_url: str) -> None:
    code, _out, err = invoke(store_url, "nps", "--by", "planet")
    assert code == 2
    assert "by: unknown column 'planet'" in err
    code, _, err = invoke(store_url, "nps", "--as-of", "2026-11-20T10:00")
    assert code == 2
    assert "as_of" in err and "time zone" in err


def test_cli007_invalid_configuration_names_the_key(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sources"], env={"FEEDBACKWALL_MIN_N": "lots"})
    assert result.exit_code == 1
    assert "FEEDBACKWALL_MIN_N" in result.stderr
    bad = tmp_path / "fw.toml"
    bad.write_text('[[sources]]\nname = "x"\nkind = "ftp"\n')
    result = CliRunner().invoke(main, ["sources"], env={"FEEDBACKWALL_CONFIG": str(bad)})
    assert result.exit_code == 1
    assert "sources.0.kind" in result.stderr
    assert "Traceback" not in result.output


def test_cli008_token_and_sources_listing(store_url: str) -> None:
    code, out, _ = invoke(store_url, "sources", "token", "shopify")
    assert code == 0
    assert out.strip().startswith("fwi_")
    sessions = db.make_sessionmaker(db.make_engine(store_url))
    ingest(sessions, "shopify", located([record(1)]))
    _, out, _ = invoke(store_url, "sources")
    assert "shopify (push/import): ok, 1 responses stored" in out


def test_cli009_killed_import_resumes_without_gaps_or_doubles(tmp_path: Path) -> None:
    """SIGKILL in the middle of an import, then import again: every row exactly once."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    end = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    total = 60_000
    path = write_csv(tmp_path / "big.csv", list(random_records(total, end=end, days=90)))
    env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "dashapp.cli", "import", str(path), "--worker"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while stored(url) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    helpers = children(proc.pid)
    assert helpers, "a file this big is prepared ahead by a worker process"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The worker (and multiprocessing's tracker) leave with the import they served.
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in helpers if Path(f"/proc/{pid}").exists()]
    partial = stored(url)
    assert 0 < partial < total, "kill the import mid-way (make the file bigger if this fails)"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert (
        done.stdout.strip().splitlines()[-1]
        == f"accepted {total - partial}, duplicates {partial}, rejected 0"
    )
    assert stored(url) == total
    engine = db.make_engine(url)
    with engine.connect() as conn:
        for grain in ("d", "h"):
            n = conn.scalar(select(func.sum(Rollup.n)).where(Rollup.grain == grain))
            assert n == total
    engine.dispose()


@pytest.mark.parametrize("path_text", ["nope.csv"])
def test_cli010_missing_file(store_url: str, path_text: str) -> None:
    code, _, err = invoke(store_url, "import", path_text)
    assert code == 2
    assert "does not exist" in err


def test_cli011_killed_scheduler_mid_poll_resumes_without_gaps_or_doubles(tmp_path: Path) -> None:
    """SIGKILL to the scheduler while it polls a big file, then start it again."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    folder = tmp_path / "drop"
    folder.mkdir()
    total = 40_000
    end = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    write_csv(folder / "export.csv", list(random_records(total, end=end, days=60)))
    config = tmp_path / "wall.toml"
    config.write_text(
        f'[[sources]]\nname = "drop"\nkind = "files"\ninterval = 1\n'
        f'options = {{ path = "{folder}" }}\n'
    )
    env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": url, "FEEDBACKWALL_CONFIG": str(config)}
    cmd = [sys.executable, "-m", "dashapp.cli", "scheduler"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill while the file is being read and stored (it takes seconds), before its commit.
    time.sleep(3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # A polled page commits with its cursor, whole: nothing of it, or all of it.
    assert stored(url) in (0, total)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The dead process's lease must expire first (about 45 s), then the file finishes.
        deadline = time.monotonic() + 150
        while stored(url) < total and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert stored(url) == total
    engine = db.make_engine(url)
    with engine.connect() as conn:
        for grain in ("d", "h"):
            assert conn.scalar(select(func.sum(Rollup.n)).where(Rollup.grain == grain)) == total
    engine.dispose()


# --- which store, and a store that is not there --------------------------------------

#: Commands that make or migrate the store, and say so; every other one only opens it.
MIGRATING = {("db", "upgrade"), ("db", "restore"), ("run",), ("scheduler",)}
#: Arguments that take each store-reading command as far as opening the store.
READERS: dict[tuple[str, ...], list[str]] = {
    ("db", "backup"): ["backup.gz"],
    ("import",): ["survey.csv"],
    ("nps",): ["--by", "brand"],
    ("report",): ["--day", "2026-11-20"],
    ("alerts",): [],
    ("sources",): [],
    ("sources", "token"): ["shop"],
    ("erase",): ["--source", "shop", "--id", "r1"],
    ("labels", "export"): ["-"],
    ("labels", "import"): ["taxonomy.toml"],
    ("labels", "apply"): ["comments.csv"],
    ("labels", "stats"): [],
    ("labels", "themes"): [],
    ("labels", "from-theme"): ["1", "--name", "Parking"],
    ("labels", "relabel"): [],
    ("users", "add"): ["ana", "--password-stdin"],
    ("users", "list"): [],
    ("users", "reset"): ["ana", "--password-stdin"],
    ("users", "role"): ["ana", "admin"],
    ("users", "disable"): ["ana"],
    ("users", "token"): ["ana"],
    ("users", "first-admin-link"): [],
    ("displays", "add"): ["lobby"],
    ("displays", "list"): [],
    ("displays", "revoke"): ["lobby"],
    ("followups", "backfill"): ["--days", "7"],
}


def commands(group: click.Group, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every runnable command under *group*, as its words (a group with a default action too)."""
    found = {path} if path and getattr(group, "invoke_without_command", False) else set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= commands(command, (*path, name))
        else:
            found.add((*path, name))
    return found


def inputs(folder: Path) -> set[str]:
    """Write the files the commands read into *folder*; their names."""
    from dashapp.labels.taxonomy import default_text

    write_csv(folder / "survey.csv", [record(1)])
    (folder / "taxonomy.toml").write_text(default_text(), "utf-8")
    (folder / "comments.csv").write_text("id,comment\n1,Paket kam nie an\n")
    return {"survey.csv", "taxonomy.toml", "comments.csv"}


def test_cli012_every_command_names_its_store_and_never_makes_one_by_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In an empty directory with the default store: each reading command fails clearly, no file."""
    assert commands(main) == set(READERS) | MIGRATING, "classify the new command here"
    monkeypatch.chdir(tmp_path)
    made = inputs(tmp_path)
    for words, args in READERS.items():
        result = CliRunner().invoke(main, [*words, *args], input="a long enough password\n")
        said = f"{' '.join(words)}: {result.stderr}"
        assert result.exit_code == 1, said
        assert isinstance(result.exception, SystemExit), said  # no traceback
        assert "store: sqlite:///var/feedbackwall.db" in result.stderr, said
        assert "no store" in result.stderr and "feedbackwall db upgrade" in result.stderr, said
        assert {p.name for p in tmp_path.iterdir()} == made, said  # nothing made, no var/


def test_cli013_unmigrated_and_old_stores_are_named_with_the_password_hidden(
    tmp_path: Path,
) -> None:
    """An empty SQLite file, an older schema, PostgreSQL without the tables: clear, no traceback."""
    import sqlite3

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    old = f"sqlite:///{tmp_path / 'old.db'}"
    db.upgrade(old, "0005")
    cases = [(f"sqlite:///{empty}", "not migrated"), (old, "schema 0005")]
    if PG_URL:
        secret = make_url(PG_URL).set(password="hunter2-secret")
        nowhere = secret.update_query_dict({"options": "-csearch_path=fw_no_such_schema"})
        cases.append((nowhere.render_as_string(hide_password=False), "not migrated"))
    for url, problem in cases:
        for words in (["sources"], ["nps"], ["users", "list"], ["alerts"]):
            result = CliRunner().invoke(main, words, env={"FEEDBACKWALL_DATABASE_URL": url})
            said = f"{url} {words}: {result.stderr}"
            assert result.exit_code == 1, said
            assert isinstance(result.exception, SystemExit), said
            assert problem in result.stderr and "feedbackwall db upgrade" in result.stderr, said
            assert "hunter2" not in result.stderr, said
            assert result.stderr.startswith("store: "), said


def test_cli014_the_real_cli_in_an_empty_directory(tmp_path: Path) -> None:
    """`python -m dashapp.cli` elsewhere: reads fail clearly, `db upgrade` says it migrates."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACKWALL_")}
    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", str(Path(__file__).parents[1]))
    made = inputs(tmp_path)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dashapp.cli", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    for args in (["sources"], ["nps", "--by", "brand"], ["import", "survey.csv"]):
        done = cli(*args)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert "store: sqlite:///var/feedbackwall.db" in done.stderr
        assert "no store" in done.stderr
        assert {p.name for p in tmp_path.iterdir()} == made
    done = cli("db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert "store: sqlite:///var/feedbackwall.db" in done.stderr and "migrat" in done.stderr
    assert (tmp_path / "var" / "feedbackwall.db").is_file()
    done = cli("import", "survey.csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "accepted 1, duplicates 0, rejected 0"
    assert done.stderr.splitlines()[0].startswith("store: sqlite:///var/feedbackwall.db")


def test_cli015_run_says_it_migrates_the_store(tmp_path: Path) -> None:
    """`feedbackwall run` in an empty directory makes its store and says which, then serves."""
    from tests.servers import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACKWALL_")}
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashapp.cli", "run", "--no-scheduler", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any("Feedback Wall on" in x for x in lines):
            lines.append(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    said = [x for x in lines if x.startswith("store: ")]
    assert said and "sqlite:///var/feedbackwall.db" in said[0] and "migrat" in said[0], lines
    assert (tmp_path / "var" / "feedbackwall.db").is_file()


def test_cli016_poison_lines_are_rejects_not_a_traceback(store_url: str, tmp_path: Path) -> None:
    """A lone surrogate, NUL or control character in a line: a named reject, the rest stored."""
    surrogate = json.dumps(record(2)).replace("Schnelle", "Schnelle \\ud800")
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [record(1), surrogate, record(3, brand="Vel\x00ora"), record(4, note="\x1b[2J"), record(5)],
    )
    code, out, err = invoke(store_url, "import", str(path))
    assert code == 0, err
    assert out.strip().splitlines()[-1] == "accepted 2, duplicates 0, rejected 3"
    rejects = list(csv.DictReader((tmp_path / "s.jsonl.rejects.csv").open(encoding="utf-8")))
    assert [(r["location"], r["field"]) for r in rejects] == [
        ("line 2", "comment"),
        ("line 3", "brand"),
        ("line 4", "note"),
    ]
    assert "U+D800" in rejects[0]["reason"] and "U+0000" in rejects[1]["reason"]
    assert stored(store_url) == 2


def test_cli017_bytes_that_are_not_utf8_are_rejects_too(store_url: str, tmp_path: Path) -> None:
    """A CSV cell holding an encoded surrogate or a stray Latin-1 byte names its line and field."""
    path = write_csv(tmp_path / "s.csv", [record(1), record(2, comment="MARK"), record(3)])
    path.write_bytes(path.read_bytes().replace(b"MARK", b"caf\xe9 \xed\xa0\x80"))
    code, out, err = invoke(store_url, "import", str(path))
    assert code == 0, err
    assert out.strip().splitlines()[-1] == "accepted 2, duplicates 0, rejected 1"
    [reject] = list(csv.DictReader((tmp_path / "s.csv.rejects.csv").open(encoding="utf-8")))
    assert (reject["location"], reject["field"]) == ("line 3", "comment")
    assert "not UTF-8" in reject["reason"]


def test_cli018_import_refuses_timestamps_out_of_bounds(store_url: str, tmp_path: Path) -> None:
    """Year 9999 and year 1 are rejects of the import too, by line and field."""
    rows = [
        record(1),
        record(2, submitted_at="9999-12-31T23:59:59Z"),
        record(3, submitted_at="0001-01-01T00:00:00Z"),
    ]
    path = write_csv(tmp_path / "s.csv", rows)
    _code, out, _ = invoke(store_url, "import", str(path))
    assert out.strip().splitlines()[-1] == "accepted 1, duplicates 0, rejected 2"
    rejects = list(csv.DictReader((tmp_path / "s.csv.rejects.csv").open(encoding="utf-8")))
    assert [(r["location"], r["field"]) for r in rejects] == [
        ("line 3", "submitted_at"),
        ("line 4", "submitted_at"),
    ]


def test_cli019_figures_never_print_a_stored_escape_sequence(store_url: str) -> None:
    """A brand with ESC or NUL stored before the rule: `nps` shows U+FFFD, runs no escape."""
    from dashapp.ingest.validation import safe_text
    from tests.poison import brand_for, poison

    engine = db.make_engine(store_url)
    sessions = db.make_sessionmaker(engine)
    ingest(sessions, "s", located([record(1), record(2, brand="Kvist")]))
    brand = brand_for(sessions)
    poison(sessions, brand)
    engine.dispose()
    for fmt in ("table", "csv"):
        args = ["--window", "3650d", "--as-of", "2026-11-21T00:00:00Z", "--format", fmt]
        code, out, _ = invoke(store_url, "nps", "--by", "brand", *args)
        assert code == 0
        assert safe_text(brand) in out and "\x1b" not in out and "\x00" not in out


def test_cli020_a_big_file_on_two_cores_gets_a_worker(tmp_path: Path) -> None:
    """From 2 MB (two batches and more) a worker prepares batches, given a core for it."""
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    small.write_bytes(b"x" * (AHEAD_MIN_BYTES - 1))
    big.write_bytes(b"x" * AHEAD_MIN_BYTES)
    cores = len(os.sched_getaffinity(0))
    assert not _worth_a_worker(small)
    assert _worth_a_worker(big) == (cores > 1)
