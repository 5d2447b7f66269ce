"""The `feedbackwall` entry point loads only what a command needs (`python -X importtime`).

`--help` loads no store, no web framework and no numerical library; `nps` and
`import` load the store but never scikit-learn (theme discovery), plotly or
dash. Start-up time and memory are measured by benchmarks/cli_start.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Never at the entry point: discovery's numerics and the web front end.
HEAVY = {"sklearn", "scipy", "plotly", "dash"}


def _loaded(args: list[str], cwd: Path, store: str) -> set[str]:
    """Top-level packages the command *args* imported (from -X importtime on stderr)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FEEDBACKWALL_DATABASE_URL": store,
    }
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dashapp.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.fixture
def small_store(tmp_path: Path) -> tuple[str, Path]:
    """A migrated SQLite store with a few responses, and a CSV of them."""
    store = f"sqlite:///{tmp_path / 'store.db'}"
    csv = tmp_path / "in.csv"
    csv.write_text(
        "id,submitted_at,brand,country,touchpoint,score,comment,language\n"
        "s1,2026-11-01T10:00:00Z,Acme,DE,delivery,9,Die Lieferung kam sehr schnell an,de\n"
        "s2,2026-11-01T11:00:00Z,Acme,GB,delivery,3,The parcel arrived damaged and late,\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FEEDBACKWALL_DATABASE_URL": store}
    subprocess.run(
        [sys.executable, "-m", "dashapp.cli", "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return store, csv


def test_is_start001_help_loads_no_store_web_or_numerics(tmp_path: Path) -> None:
    loaded = _loaded(["--help"], tmp_path, f"sqlite:///{tmp_path / 'none.db'}")
    assert "click" in loaded  # the measurement sees imports at all
    assert loaded.isdisjoint(HEAVY | {"sqlalchemy", "alembic", "flask", "numpy", "lingua"})
    assert not (tmp_path / "none.db").exists()  # --help touches no store


def test_is_start002_import_and_nps_load_no_sklearn_plotly_or_dash(
    small_store: tuple[str, Path],
) -> None:
    store, csv = small_store
    imported = _loaded(["import", str(csv)], csv.parent, store)
    assert "sqlalchemy" in imported
    assert imported.isdisjoint(HEAVY)
    figures = _loaded(["nps", "--as-of", "2026-11-02T00:00Z", "--window", "7d"], csv.parent, store)
    assert "sqlalchemy" in figures
    assert figures.isdisjoint(HEAVY)


def test_is_start003_migrations_quiet_unless_verbose(small_store: tuple[str, Path]) -> None:
    """Alembic's INFO lines (context, each revision) appear only with -v."""
    store, csv = small_store
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FEEDBACKWALL_DATABASE_URL": store}
    fresh = f"sqlite:///{csv.parent / 'fresh.db'}"

    def upgrade(*flags: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dashapp.cli", *flags, "db", "upgrade"],
            cwd=csv.parent,
            env={**env, "FEEDBACKWALL_DATABASE_URL": fresh},
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        return done.stdout + done.stderr

    quiet = upgrade()
    assert "alembic" not in quiet.lower()
    assert "migrating to the newest schema" in quiet  # the one line the command says
    (csv.parent / "fresh.db").unlink()
    assert "Running upgrade" in upgrade("-v")


def test_is_start004_no_progress_bar_when_not_a_terminal(small_store: tuple[str, Path]) -> None:
    """A piped import prints its summary only: no bar, no control sequences."""
    store, csv = small_store
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FEEDBACKWALL_DATABASE_URL": store}
    done = subprocess.run(
        [sys.executable, "-m", "dashapp.cli", "import", str(csv)],
        cwd=csv.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert done.stdout == "accepted 2, duplicates 0, rejected 0\n"
    assert "\x1b" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"store: {store}"]


def test_is_start005_progress_bar_on_a_terminal(small_store: tuple[str, Path]) -> None:
    """With stderr on a terminal (a pseudo-terminal here) the import draws its bar there."""
    import pty

    store, csv = small_store
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FEEDBACKWALL_DATABASE_URL": store,
        "COLUMNS": "120",
        "TERM": "xterm",
    }
    main, child = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dashapp.cli", "import", str(csv)],
            cwd=csv.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=child,
            text=True,
            timeout=300,
            check=True,
        )
        os.close(child)
        drawn = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(main)
    assert done.stdout == "accepted 2, duplicates 0, rejected 0\n"
    text = drawn.decode("utf-8", "replace")
    assert "importing in.csv" in text
    assert "2/?" in text  # rows done; the total is not known before reading the file
