"""The ``feedbackwall`` command: serve, schedule, migrate, import, query and manage sources."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dashapp.cli.common import (
    FigureQuery,
    checked_engine,
    figure_options,
    load_settings,
    migrate_store,
    open_services,
    open_store,
    store_name,
)
from dashapp.cli.labels import labels as labels_group
from dashapp.cli.progress import progress
from dashapp.cli.users import displays_group, first_admin_link, users_group

if TYPE_CHECKING:
    from dashapp.ingest.prepare import Rejection

# Imports of the store, ingest, Flask and Dash stay inside the commands that use
# them: `feedbackwall --help` and every command that needs none of them start at
# once (tests/test_is_cli_start.py checks what the entry point loads).


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose: bool) -> None:
    """Feedback Wall: live customer feedback on wall screens."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # APScheduler logs every run of every job at INFO: seconds apart, for ever.
        # Alembic logs its context and every revision it runs at INFO on each command
        # that migrates; the command already says on stderr that it migrates.
        for noisy in ("apscheduler", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


# --- store -------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """The store: migrations."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the store to the newest schema (safe to run every start)."""
    settings = load_settings()
    migrate_store(settings, revision)
    click.echo(f"store at {store_name(settings.database_url)} is at {revision}")


@db_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(file: Path) -> None:
    """Write the whole store to FILE (gzip'd JSON lines), a consistent snapshot."""
    from dashapp.store.backup import backup

    settings = load_settings()
    engine = checked_engine(settings)
    with progress(f"backing up to {file.name}", _row_count(engine)) as advance:
        written = backup(engine, file, progress=advance)
    click.echo(
        f"backed up {sum(written.values()):,} rows ({written.get('responses', 0):,} responses)"
        f" to {file}"
    )


@db_group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def db_restore(file: Path) -> None:
    """Load FILE into the (empty, migrated) store: all of it, or nothing."""
    from dashapp.store import db
    from dashapp.store.backup import BackupError, restore

    settings = load_settings()
    migrate_store(settings)
    try:
        with progress(f"restoring {file.name}", None) as advance:
            restored = restore(db.make_engine(settings.database_url), file, progress=advance)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"restored {sum(restored.values()):,} rows ({restored.get('responses', 0):,} responses)"
    )


def _row_count(engine: Any) -> int | None:
    """Rows a backup will write, for its progress bar (None when no bar is drawn)."""
    from dashapp.cli.progress import wanted
    from dashapp.store.backup import rows_in

    return rows_in(engine) if wanted() else None


# --- serving and scheduling --------------------------------------------------------


@main.command()
@click.option(
    "--demo",
    is_flag=True,
    help="Seed demo history when the store is empty and run the demo source.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option(
    "--no-scheduler", is_flag=True, help="Serve only; run `feedbackwall scheduler` elsewhere."
)
def run(demo: bool, host: str, port: int, no_scheduler: bool) -> None:
    """Migrate, then serve the app and (in this same process) its scheduled work."""
    import signal

    from dashapp import create_app
    from dashapp.access.gate import allow_local_demo
    from dashapp.config import ConfigError
    from dashapp.jobs.runtime import start_scheduler
    from dashapp.services import services_of
    from dashapp.web.serve import bound_addresses, make_server

    settings = load_settings()
    migrate_store(settings)
    try:
        app = create_app(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    # Limits and timeouts so that no one client starves the rest (dashapp.web.serve).
    web = make_server(app.server, host, port)
    # Only this machine's own browser, and only in the demo, is signed in unasked:
    # decided by the addresses the sockets were bound to, not by what --host said.
    local_demo = demo and allow_local_demo(app.server, bound_addresses(web))
    work = None if no_scheduler else start_scheduler(settings, demo=demo)
    # SIGTERM (systemd, docker, kill) ends like Ctrl-C, so the lease is handed over at once.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    click.echo(f"Feedback Wall on {base}/  (kiosk: {base}/kiosk)")
    if local_demo:
        click.echo("Demo: this machine's browser is signed in as an admin automatically.")
    elif demo:
        click.echo("Demo on a non-loopback address: nobody is signed in automatically.")
    link = first_admin_link(services_of(app.server).sessions, base)
    if link:
        click.echo(f"No users yet. Create the first admin (once, within 24 h): {link}")
    try:
        web.print_listen("Serving on http://{}:{}")
        web.run()
    finally:
        if work is not None:
            work.stop()


@main.command()
@click.option("--demo", is_flag=True, help="Also run the demo source.")
def scheduler(demo: bool) -> None:
    """Run pollers and other scheduled work in this one process (for multi-worker deployments)."""
    import signal
    import threading

    from dashapp.jobs.runtime import start_scheduler

    settings = load_settings()
    migrate_store(settings)
    work = start_scheduler(settings, demo=demo)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"scheduler running {len(work.scheduler.get_jobs())} job(s); Ctrl-C to stop")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        work.stop()


# --- import ------------------------------------------------------------------------


#: A file this big has at least two batches, the least a worker can overlap.
AHEAD_MIN_BYTES = 2_000_000


def _worth_a_worker(file: Path) -> bool:
    """Whether preparing batches in a second process pays for its start (a second or so)."""
    # The cores this process may use (a container's or taskset's limit), not the machine's.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) > 1 and file.stat().st_size >= AHEAD_MIN_BYTES


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source", default="files", show_default=True, help="Source name; ids are unique per source."
)
@click.option("--strict", is_flag=True, help="Write nothing if any record is invalid.")
@click.option(
    "--worker/--no-worker",
    default=None,
    help="Validate and label the next batches in a second process while writing "
    "[default: for files of 2 MB or more on a machine with two cores or more].",
)
def import_file(file: Path, source: str, strict: bool, worker: bool | None) -> None:
    """Import a CSV or JSONL file in the canonical schema.

    Ends with `accepted A, duplicates D, rejected R` (then `erased E`, `expired X`
    for records erased before or past the retention, not stored); rejected
    records are written with their reasons to FILE.rejects.csv.
    """
    from dashapp.ingest import bulk_gc
    from dashapp.ingest.pipeline import Retention, ingest
    from data_sources.base import SourceError
    from data_sources.files import read_records

    settings = load_settings()
    sessions = open_store(settings)

    class Rereadable:
        def __iter__(self) -> Any:
            return read_records(file)

    try:
        with progress(f"importing {file.name}", None) as advance, bulk_gc.tuned():
            report = ingest(
                sessions,
                source,
                Rereadable(),
                strict=strict,
                retention=Retention.of(settings),
                bounds=settings.time_bounds(),
                followups=settings.followups,
                progress=advance,
                ahead=_worth_a_worker(file) if worker is None else worker,
            )
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    rejects = file.with_name(file.name + ".rejects.csv")
    _write_rejects(rejects, report.rejected)
    if report.rejected:
        click.echo(f"rejected records and reasons: {rejects}", err=True)
        if strict:
            click.echo("--strict: nothing was written", err=True)
    click.echo(report.summary())
    if strict and report.rejected:
        sys.exit(1)


def _write_rejects(path: Path, rejected: list[Rejection]) -> None:
    if not rejected:
        path.unlink(missing_ok=True)  # a stale file from an earlier run would mislead
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["location", "field", "value", "reason"])
        for rejection in rejected:
            for problem in rejection.problems:
                writer.writerow([rejection.location, problem.field, problem.value, problem.reason])


# --- figures -----------------------------------------------------------------------


@main.command()
@click.option("--by", "by_text", default="", help="Group columns, e.g. brand,country.")
@figure_options
def nps(by_text: str, query: FigureQuery, fmt: str) -> None:
    """NPS with n and 95% interval per group, over (as_of - window, as_of] in UTC."""
    from dashapp.figures.table import to_csv, to_records, to_table
    from dashapp.metrics.params import BadParameter, parse_by

    try:
        by = parse_by(by_text)
    except BadParameter as exc:
        raise click.BadParameter(str(exc)) from None
    settings = load_settings()
    services = open_services(settings)
    rows = services.nps.nps_by(by, window=query.window, as_of=query.as_of, filters=query.filters)
    records = to_records(rows, by)
    if fmt == "csv":
        click.echo(to_csv(records, by), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(records, indent=2))
    else:
        click.echo(to_table(records, by, settings.min_n))


# --- daily report -----------------------------------------------------------------


@main.command()
@click.option(
    "--day",
    "day_text",
    default=None,
    help="Local day (FEEDBACKWALL_TIMEZONE), YYYY-MM-DD (default: yesterday).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the PDF here.",
)
@click.option("--send", "send_mail", is_flag=True, help="Mail it to the configured recipients.")
def report(day_text: str | None, out: Path | None, send_mail: bool) -> None:
    """The daily report: NPS of the day and trailing periods, movers and comments."""
    from dashapp.i18n import days as local_days
    from dashapp.i18n import use_locale
    from dashapp.jobs import report as daily
    from dashapp.metrics.params import BadParameter, parse_day
    from dashapp.web.chart_export import ExportFailed

    settings = load_settings()
    try:
        day = parse_day(day_text, "day") or local_days.today(settings.zone()) - dt.timedelta(days=1)
    except BadParameter as exc:
        raise click.BadParameter(str(exc)) from None
    if send_mail and settings.report is None:
        raise click.ClickException(
            "--send needs a [report] table in the configuration (recipients, SMTP)"
        )
    services = open_services(settings)
    language = (settings.report.language if settings.report else None) or settings.language
    with use_locale(language):
        built = daily.build(services.nps, day)
    no_pdf = None
    if out is not None:
        try:
            with use_locale(language):
                out.write_bytes(daily.pdf(built))
            click.echo(f"wrote {out}")
        except ExportFailed as exc:
            no_pdf = str(exc)  # said at the end: the mail still goes (without its PDF)
    if send_mail:
        assert settings.report is not None
        try:
            for scope, recipients in daily.send_all(
                services.nps, day, settings.report, settings.mail_server(), settings.language
            ):
                click.echo(f"sent{' (' + scope + ')' if scope else ''} to {', '.join(recipients)}")
        except OSError as exc:
            raise click.ClickException(f"could not send: {exc}") from None
    if no_pdf is not None:
        raise click.ClickException(no_pdf)
    if out is None and not send_mail:
        click.echo(daily.html(built))


# --- alerts -----------------------------------------------------------------------


@main.command()
@click.option("--limit", default=20, show_default=True, help="How many of the newest deliveries.")
def alerts(limit: int) -> None:
    """The alert delivery log: newest first, with attempts and outcome."""
    from dashapp.jobs.alerts import delivery_log, delivery_state, last_problem

    sessions = open_store(load_settings())
    with sessions() as session:
        rows = delivery_log(session, limit)
    if not rows:
        click.echo("no alerts yet")
    for row in rows:
        problem = last_problem(row)
        detail = f" (last: {problem})" if problem else ""
        click.echo(
            f"#{row.id} {row.rule}: {delivery_state(row)}, {row.attempts} attempt(s){detail}"
        )


# --- sources -----------------------------------------------------------------------


@main.group(invoke_without_command=True)
@click.pass_context
def sources(ctx: click.Context) -> None:
    """Show each source's state: last success, last error, lag, totals."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy import func, select

    from dashapp.store.models import Response, SourceState
    from dashapp.web.api import source_status

    settings = load_settings()
    sessions = open_store(settings)
    now = dt.datetime.now(dt.UTC)
    with sessions() as session:
        states = {s.name: s for s in session.scalars(select(SourceState))}
        stored = dict(
            session.execute(select(Response.source, func.count()).group_by(Response.source)).all()
        )
    names = sorted({s.name for s in settings.sources} | set(states) | set(stored))
    if not names:
        click.echo("no sources configured or seen yet")
    for name in names:
        status = source_status(states.get(name), now)
        configured = settings.source(name)
        kind = configured.kind if configured else "push/import"
        health = "FAILING" if status["failing"] else "ok"
        click.echo(f"{name} ({kind}): {health}, {stored.get(name, 0):,} responses stored")
        for key in ("last_success_at", "last_error_at", "last_error", "lag_seconds"):
            if status.get(key) is not None:
                click.echo(f"  {key}: {status[key]}")


@sources.command("token")
@click.argument("source")
def sources_token(source: str) -> None:
    """Issue a push-API token for SOURCE (printed once; only its digest is stored)."""
    from dashapp.access import ingest_tokens as tokens

    settings = load_settings()
    sessions = open_store(settings)
    with sessions.begin() as session:
        token = tokens.issue(session, source)
    click.echo(token)


# --- privacy -------------------------------------------------------------------------


@main.command()
@click.option("--source", default=None, help="The source the id belongs to.")
@click.option("--id", "external_id", default=None, help="The response id in that source.")
@click.option(
    "--property", "prop", default=None, help="KEY=VALUE, e.g. customer_email=jo@example.com."
)
def erase(source: str | None, external_id: str | None, prop: str | None) -> None:
    """Delete a person's responses everywhere: rollups, labels and alert deliveries included.

    Each erased source and id leaves a tombstone (a keyed digest, no plain id),
    so a source sending the record again never brings it back.
    """
    from dashapp.ingest.erasure import erase as erase_responses

    if (external_id is None) == (prop is None):
        raise click.UsageError("give --source and --id, or --property KEY=VALUE")
    if external_id is not None and source is None:
        raise click.UsageError("--id needs --source: ids are unique per source")
    if external_id is not None and not external_id.strip():
        raise click.BadParameter("the id is empty", param_hint="--id")
    key = value = None
    if prop is not None:
        key, sep, value = prop.partition("=")
        if not sep or not key:
            raise click.BadParameter("expected KEY=VALUE", param_hint="--property")
    settings = load_settings()
    sessions = open_store(settings)
    with sessions.begin() as session:
        count = erase_responses(
            session, source=source, external_id=external_id, prop=key, value=value
        )
    click.echo(
        f"erased {count} response(s), with their labels, counts, alert deliveries and follow-ups"
    )
    if external_id is not None:
        click.echo(f"{source} id {external_id.strip()!r} will not be stored again if sent")
    elif count:
        click.echo("their ids will not be stored again if sent")


# --- follow-ups ----------------------------------------------------------------------


@main.group("followups")
def followups_group() -> None:
    """Follow-ups: the responses someone has to answer."""


@followups_group.command("backfill")
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=30,
    show_default=True,
    help="Look at responses submitted within this many days.",
)
def followups_backfill(days: int) -> None:
    """Open follow-ups for stored responses the configured rule picks (none opens twice).

    Ingest opens them as responses arrive; this reaches responses stored before
    the rule existed or changed, or older than its horizon.
    """
    from dashapp.followups import service

    settings = load_settings()
    if not settings.followups.enabled:
        raise click.ClickException("follow-ups are disabled ([followups] enabled = false)")
    sessions = open_store(settings)
    opened = service.backfill(sessions, settings.followups, days)
    click.echo(f"opened {opened} follow-up(s) for responses of the last {days} days")


main.add_command(labels_group)
main.add_command(users_group, "users")
main.add_command(displays_group, "displays")
