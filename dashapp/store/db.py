"""Engines, sessions and migrations for the store (SQLite embedded, PostgreSQL in production)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the store's connection settings.

    SQLite gets WAL (readers never block the ingesting writer), a busy timeout
    and foreign keys; a new store file is created 0600 in a created parent
    directory. PostgreSQL gets
    pre-ping so a restarted server does not surface as an error, and no JIT.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_private(parsed.database)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "connect", _postgresql_settings)
    return engine


def _create_private(database: str) -> None:
    """Create the SQLite store file *database*, owner-only (0600), unless it exists.

    The store holds comments, password hashes and the session signing key. SQLite
    would create the file with the umask's mode (usually 0644, readable by every
    local user) and gives its -wal and -shm files the mode of the database file,
    so creating the (empty, valid) database file 0600 first makes all three private.
    An existing store keeps the mode its operator gave it.
    """
    if database.startswith("file:"):
        return  # a URI filename says its own mode and place; SQLite opens it as asked
    path = Path(database)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first, the same way
    os.close(fd)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _postgresql_settings(dbapi_connection: Any, _record: Any) -> None:
    # A drill-down over millions of rows is estimated costly enough for PostgreSQL to
    # JIT-compile it, which takes 30-40 ms of a query that runs in less: measured on
    # the 10M store, the store's queries are all short.
    with dbapi_connection.cursor() as cur:
        cur.execute("SET jit = off")
    dbapi_connection.commit()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """One session per unit of work; objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> AlembicConfig:
    """An Alembic config pointing at the packaged migrations and *url*."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's ini interpolation treats % specially.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the store at *url* to *revision*."""
    command.upgrade(alembic_config(url), revision)


def schema_problem(engine: Engine) -> str | None:
    """What keeps this release from using the store of *engine*; None when it is at the head.

    Reads the store's revision only: it changes nothing, and creates nothing.
    """
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string()))
    head = script.get_current_head()
    # Alembic's own table, read directly (its MigrationContext logs as for a migration).
    with engine.connect() as connection:
        current = None
        if inspect(connection).has_table("alembic_version"):
            current = connection.scalar(text("SELECT version_num FROM alembic_version"))
    if current == head:
        return None
    if current is None:
        return "it is not migrated (no Feedback Wall tables)"
    try:
        script.get_revision(current)
    except CommandError:
        return f"its schema {current} is newer than this release knows (head {head})"
    return f"its schema {current} is older than this release's {head}"


def is_migrated(engine: Engine) -> bool:
    """Whether the store has the tables the app needs."""
    return inspect(engine).has_table("responses")
