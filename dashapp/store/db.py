"""Engines, sessions and migrations for the store (SQLite embedded, PostgreSQL in production)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
#: SQLite: another connection holds the lock (SQLITE_BUSY 5, SQLITE_LOCKED 6, with their
#: extended codes in the low byte).
_SQLITE_WAITS = {5, 6}
#: PostgreSQL SQLSTATEs of a server that cannot answer now: connection exceptions (08…),
#: shutting down or starting (57P01-57P03), a statement or lock wait cut short (57014,
#: 55P03), too many connections (53300), a deadlock or serialization retry (40…).
_PG_WAITS = ("08", "57P01", "57P02", "57P03", "57014", "55P03", "53300", "40")


class StoreUnavailable(sa_exc.SQLAlchemyError):
    """The store did not answer the last time it was asked, or is slow to answer now
    (raised without asking it again); a request is answered 503 with Retry-After."""


def is_unavailable(exc: BaseException) -> bool:
    """Whether *exc* says the store cannot answer now (retry later), not that the app is wrong.

    A missing table or column, a syntax error or too many variables are OperationalErrors
    too, on SQLite: those are defects, answered 500 with their stack trace in the log.
    """
    if isinstance(exc, StoreUnavailable | sa_exc.TimeoutError | sa_exc.InterfaceError):
        return True  # (InterfaceError: the connection broke under the client)
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_WAITS
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        return state.startswith(_PG_WAITS)
    # No server answer at all (refused, unreachable, timed out before one): unavailable.
    return True


@dataclass(frozen=True, slots=True)
class Deadlines:
    """How long a process waits for the store, in seconds (PostgreSQL; SQLite has its busy timeout).

    A stopped or frozen server accepts TCP connections and acknowledges every byte
    (the kernel does that), so neither the server's own timeouts nor TCP keepalives
    ever end a wait on it: only the client's own deadline does. With these, a hung
    store reads like a down one.
    """

    #: Opening a connection, its sign-in included.
    connect: float = 3.0
    #: A statement, ended by the server (statement_timeout); the client gives up on any
    #: one round trip *margin* seconds later (the server is then not answering at all).
    #: The app's queries take milliseconds (docs/benchmarks.md: drill-down p95 0.3 s on
    #: 10M responses); one taking seconds is stuck behind something.
    statement: float = 6.0
    margin: float = 1.0
    #: Waiting for a row or table lock (lock_timeout).
    lock: float = 3.0
    #: Waiting for a connection of the pool while all are busy.
    pool: float = 3.0


#: For the web app: a request holds a thread and a connection for at most a few seconds.
SERVING = Deadlines()


def make_engine(url: str, *, deadlines: Deadlines | None = None, **kwargs: Any) -> Engine:
    """Create an engine with the store's connection settings.

    SQLite gets WAL (readers never block the ingesting writer), a busy timeout
    and foreign keys; a new store file is created 0600 in a created parent
    directory. PostgreSQL gets
    pre-ping so a restarted server does not surface as an error, no JIT, a
    connect timeout and TCP keepalives (a vanished host or network is noticed),
    and with *deadlines* (the web app: :data:`SERVING`) bounded waits for
    statements, locks, a frozen server and the pool. Jobs and commands run without
    them (a migration or a backup may rightly take long).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_private(parsed.database)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    limits = deadlines or Deadlines(connect=10, statement=0, lock=0, pool=30)
    options = " ".join(
        part
        for part in (
            _option(parsed.query.get("options")),
            f"-c statement_timeout={int(limits.statement * 1000)}" if deadlines else None,
            f"-c lock_timeout={int(limits.lock * 1000)}" if deadlines else None,
        )
        if part
    )
    connect_args = {
        "connect_timeout": max(2, round(limits.connect)),
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        # Sent data unacknowledged this long (the host is gone): the connection is dead.
        "tcp_user_timeout": 30_000,
        **({"options": options} if options else {}),
        **kwargs.pop("connect_args", {}),
    }
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=limits.pool,
        connect_args=connect_args,
        **kwargs,
    )
    if deadlines:
        event.listen(engine, "do_connect", _bounded_connect(deadlines.statement + deadlines.margin))
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


class _BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that gives up on a round trip after *round_trip* seconds."""

    round_trip: float = 0.0

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        """Run *gen* on the connection; OperationalError if the server stays silent too long."""
        try:
            return super().wait(gen, interval, timeout if timeout is not None else self.round_trip)
        except psycopg.errors.ConnectionTimeout:
            raise
        except psycopg.OperationalError as exc:
            if type(exc).__name__ != "_WaitTimeout":  # psycopg's own "wait timeout expired"
                raise
            # The server is frozen mid-answer: what the connection holds is unknown, so it
            # is closed (the pool then drops it) rather than used again.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the store did not answer within {self.round_trip:g} s"
            ) from None


def _bounded_connect(round_trip: float) -> Any:
    def connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> psycopg.Connection[Any]:
        conn = _BoundedConnection.connect(*cargs, **cparams)
        conn.round_trip = round_trip
        return conn

    return connect


def _option(value: str | tuple[str, ...] | None) -> str | None:
    """A URL query value as one string (a key given twice comes as a tuple)."""
    return " ".join(value) if isinstance(value, tuple) else value


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
