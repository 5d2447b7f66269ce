"""The wheel: built without warnings, installed outside the checkout, it runs on its own files.

The wheel is built from a copy of the tracked files (as a clean clone has them)
with the setuptools of the test environment (no download: ``make test`` put
``setuptools>=77`` there with the dev extra), then installed into a fresh
virtualenv outside the repository. The new environment gets the wheel alone;
its dependencies come from the test environment's site-packages through a
``.pth`` line (added after the venv's own site-packages, and without running
that folder's ``.pth`` files, so the checkout's editable install is not seen).
From that environment: ``feedbackwall --help``, ``db upgrade`` (the migrations
inside the wheel), an import (the taxonomy inside it labels the comments) and a
rendered sign-in page plus a served asset (templates and assets inside it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    """The environment for the installed commands: nothing pointing into the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FEEDBACKWALL_"))}
    return {**env, **extra}


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(the wheel built from a copy of the tracked files, the build's output)."""
    tmp = tmp_path_factory.mktemp("wheel")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    source = tmp / "src"
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if path.is_file():  # a file deleted in the work tree is still listed until committed
            target = source / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    out = tmp / "dist"
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-v",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(out),
            ".",
        ],
        source,
        _env(),
    )
    (found,) = out.glob("feedbackwall-*.whl")
    return found, built.stdout + built.stderr


def test_is_wheel001_builds_without_warnings(wheel: tuple[Path, str]) -> None:
    """setuptools says nothing: no deprecated license table, no undeclared package data."""
    _, output = wheel
    warnings = [line for line in output.splitlines() if "warning" in line.lower()]
    assert warnings == []


def test_is_wheel002_installed_wheel_migrates_imports_and_renders(
    wheel: tuple[Path, str], tmp_path: Path
) -> None:
    """From a fresh venv outside the repo: --help, db upgrade, import, a page and an asset."""
    path, _ = wheel
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False, system_site_packages=False)
    python = env_dir / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The wheel's files go in with pip of the test environment, nothing else.
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--target",
            str(purelib),
            str(path),
        ],
        tmp_path,
        _env(),
    )
    deps = sysconfig.get_paths()["purelib"]
    (purelib / "zz_test_environment.pth").write_text(deps + "\n")
    # The console script pip wrote from the wheel's entry points, run by the new venv.
    feedbackwall = [str(python), str(purelib / "bin" / "feedbackwall")]
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = _env(FEEDBACKWALL_DATABASE_URL=f"sqlite:///{work / 'store.db'}")

    where = _run([str(python), "-c", "import dashapp; print(dashapp.__file__)"], work, env)
    assert where.stdout.strip().startswith(str(purelib)), where.stdout

    assert "import" in _run([*feedbackwall, "--help"], work, env).stdout
    _run([*feedbackwall, "db", "upgrade"], work, env)
    csv = work / "in.csv"
    csv.write_text(
        "id,submitted_at,brand,country,touchpoint,score,comment,language\n"
        "w1,2026-11-01T10:00:00Z,Acme,DE,delivery,9,Die Lieferung kam sehr schnell an,de\n"
        "w2,2026-11-01T11:00:00Z,Acme,GB,delivery,3,The parcel arrived damaged and late,\n",
        encoding="utf-8",
    )
    imported = _run([*feedbackwall, "import", str(csv)], work, env)
    assert imported.stdout.strip().endswith("accepted 2, duplicates 0, rejected 0")

    script = textwrap.dedent(
        """
        from sqlalchemy import func, select
        from dashapp import create_app
        from dashapp.config import Settings
        from dashapp.services import services_of
        from dashapp.store.models import Response, ResponseLabel

        app = create_app(Settings.load())
        with services_of(app.server).sessions() as session:
            print("languages", sorted(session.scalars(select(Response.language))))
            print("labels", session.scalar(select(func.count()).select_from(ResponseLabel)))
        client = app.server.test_client()
        page = client.get("/login")
        print("login", page.status_code, "<form" in page.get_data(as_text=True))
        css = client.get("/assets/wall.css")
        print("css", css.status_code, len(css.get_data()))
        """
    )
    rendered = _run([str(python), "-c", script], work, env).stdout.splitlines()
    assert "languages ['de', 'en']" in rendered  # the second detected: lingua inside
    labels = next(line for line in rendered if line.startswith("labels "))
    assert int(labels.split()[1]) >= 2  # taxonomy.toml from the wheel labelled both
    assert "login 200 True" in rendered
    css = next(line for line in rendered if line.startswith("css "))
    assert css.split()[1] == "200" and int(css.split()[2]) > 1000
