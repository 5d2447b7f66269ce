"""``feedbackwall labels ...``: the taxonomy in and out, trying it on comments, figures, themes."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import click

from dashapp.cli.common import (
    FigureQuery,
    figure_options,
    load_settings,
    open_services,
    open_store,
)

# The label modules (and scikit-learn behind discovery) are imported by the commands
# that use them, so that defining the commands loads none of them.


def _read_taxonomy(path: Path) -> str:
    from dashapp.labels.taxonomy import TaxonomyError, parse_taxonomy

    text = path.read_text("utf-8")
    try:
        parse_taxonomy(text)
    except TaxonomyError as exc:
        raise click.ClickException(
            f"{path} is not a usable taxonomy:\n  " + "\n  ".join(exc.problems)
        ) from None
    return text


@click.group("labels")
def labels() -> None:
    """Smart labels: the taxonomy, trying it on comments, figures per label, discovered themes."""


@labels.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_taxonomy(file: Path) -> None:
    """Write the taxonomy in force to FILE (TOML) for editing; '-' writes to stdout."""
    from dashapp.labels import store as label_store
    from dashapp.labels.taxonomy import dump_taxonomy

    settings = load_settings()
    with open_store(settings)() as session:
        version, taxonomy = label_store.current(session)
    text = dump_taxonomy(taxonomy)
    if str(file) == "-":
        click.echo(text, nl=False)
        return
    file.write_text(text, "utf-8")
    click.echo(f"taxonomy version {version} ({len(taxonomy.labels)} labels) written to {file}")


@labels.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_taxonomy(file: Path) -> None:
    """Put the taxonomy in FILE in force; stored comments are relabelled in the background."""
    from dashapp.labels import store as label_store
    from dashapp.labels.taxonomy import parse_taxonomy

    text = _read_taxonomy(file)
    settings = load_settings()
    with open_store(settings).begin() as session:
        version = label_store.save_taxonomy(session, text, f"cli: {file.name}")
    taxonomy = parse_taxonomy(text)
    click.echo(
        f"taxonomy version {version} in force: {len(taxonomy.labels)} labels in "
        f"{len(taxonomy.languages)} languages; the scheduler relabels stored comments now"
    )


@labels.command("relabel")
def relabel() -> None:
    """Relabel stored comments with the taxonomy in force now, in this process.

    The scheduler does the same in the background after `labels import`; this
    runs the pending work at once (a bar on a terminal) and says how many.
    """
    from sqlalchemy import func, select

    from dashapp.cli.progress import progress
    from dashapp.labels import store as label_store
    from dashapp.store.models import Response, StoreMeta

    sessions = open_store(load_settings())
    with sessions() as session:
        upto = session.scalar(
            select(StoreMeta.value).where(StoreMeta.key == label_store.RELABEL_UPTO)
        )
        pending = (
            session.scalar(
                select(func.count()).where(Response.id > upto, Response.comment.is_not(None))
            )
            if upto is not None
            else 0
        )
    if not pending:
        click.echo("nothing to relabel: stored comments carry the taxonomy in force")
        return
    done = 0
    with progress("relabelling", pending, "comments") as advance:
        while True:
            with sessions.begin() as session:
                step = label_store.relabel_step(session)
            if not step:
                break
            done += step
            advance(step)
    click.echo(f"relabelled {done:,} comments")


@labels.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option(
    "--taxonomy",
    "taxonomy_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Try this taxonomy file instead of the one in force.",
)
def apply_labels(file: Path, fmt: str, taxonomy_file: Path | None) -> None:
    """Label each comment of a CSV (id,comment[,language]); prints labels, stores nothing.

    Output columns: id, language, labels (top-level names joined by ';') and
    sentiments (in the same order). Comments without a language are detected.
    """
    from dashapp.ingest import language
    from dashapp.labels import store as label_store
    from dashapp.labels.labelling import Labeller
    from dashapp.labels.sentiment import NAMES
    from dashapp.labels.taxonomy import parse_taxonomy

    if taxonomy_file is not None:
        taxonomy = parse_taxonomy(_read_taxonomy(taxonomy_file))
    else:
        with open_store(load_settings())() as session:
            _, taxonomy = label_store.current(session)
    labeller = Labeller(taxonomy)
    rows = _read_comments(file)
    missing = [i for i, r in enumerate(rows) if not r["language"]]
    detected = language.detect([rows[i]["comment"] for i in missing])
    for i, code in zip(missing, detected, strict=True):
        rows[i]["language"] = code or ""
    out = []
    for row in rows:
        hits = [
            (taxonomy.labels[label].name, NAMES[s])
            for label, s in labeller.label(row["comment"], row["language"] or None)
            if "/" not in label
        ]
        out.append(
            {
                "id": row["id"],
                "language": row["language"],
                "labels": ";".join(name for name, _ in hits),
                "sentiments": ";".join(s for _, s in hits),
            }
        )
    if fmt == "json":
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["id", "language", "labels", "sentiments"])
    writer.writeheader()
    writer.writerows(out)
    click.echo(buffer.getvalue(), nl=False)


def _read_comments(file: Path) -> list[dict[str, str]]:
    with file.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        for needed in ("id", "comment"):
            if needed not in header:
                raise click.ClickException(
                    f"{file}: line 1 has no '{needed}' column (expected id,comment[,language])"
                )
        rows = []
        for line, raw in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            if not row.get("id"):
                raise click.ClickException(f"{file}: line {line}: field 'id' is empty")
            rows.append(
                {"id": row["id"], "comment": row["comment"], "language": row.get("language", "")}
            )
    return rows


@labels.command("stats")
@figure_options
def stats(query: FigureQuery, fmt: str) -> None:
    """Volume, share, NPS, sentiment, trend, impact and most-problematic share per label."""
    from dashapp.labels.stats import to_records

    services = open_services(load_settings())
    records = to_records(
        services.nps.labels(window=query.window, as_of=query.as_of, filters=query.filters)
    )
    if fmt == "json":
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, list(records[0]) if records else ["label"])
        writer.writeheader()
        writer.writerows(records)
    else:
        click.echo(_table(records))


def _table(records: list[dict[str, object]]) -> str:
    head = f"{'label':<44}{'n':>7}{'share':>7}{'NPS':>7}{'Δ':>7}{'impact':>8}{'+/=/−':>13}"
    lines = [head, "-" * len(head)]
    for r in records:
        indent = "  " * (int(r["depth"]) - 1)  # type: ignore[call-overload]
        mark = "*" if r["significant"] else " "

        def fmt(value: object) -> str:
            return "–" if value is None else f"{value:+.1f}" if isinstance(value, float) else ""

        lines.append(
            f"{indent + str(r['path']).split(' > ')[-1]:<44}{r['volume']:>7}"
            f"{r['share_pct']:>6}%{'–' if r['nps'] is None else r['nps']:>7}"
            f"{fmt(r['change']):>6}{mark}{fmt(r['impact']):>8}"
            f"{r['positive']:>5}/{r['neutral']}/{r['negative']:<5}"
        )
    lines.append("* change significant at 95%; impact = NPS(all) − NPS(without the label)")
    return "\n".join(lines)


@labels.command("themes")
@click.option("--scope", type=click.Choice(["unlabelled", "all"]), default="unlabelled")
@click.option("--discover", "run_now", is_flag=True, help="Run discovery first.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def list_themes(scope: str, run_now: bool, fmt: str) -> None:
    """Themes discovered in recent comments (those no label covers, or all)."""
    from dashapp.ingest.validation import safe_text
    from dashapp.labels import discovered as themes
    from dashapp.labels.discovery import DiscoveryError

    settings = load_settings()
    sessions = open_store(settings)
    if run_now:
        try:
            with sessions.begin() as session:
                themes.run_discovery(session, backend=settings.discovery_backend)
        except DiscoveryError as exc:
            raise click.ClickException(str(exc)) from None
    with sessions() as session:
        found = themes.latest(session, scope)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": t.id,
                        "language": t.language,
                        "name": t.name,
                        "terms": t.terms,
                        "size": t.size,
                        "this_week": t.this_week,
                        "last_week": t.last_week,
                        "status": t.status,
                        "label": t.label,
                        "examples": t.examples,
                    }
                    for t in found
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for t in found:
        made = f"  -> label {t.label}" if t.label else ""
        click.echo(f"{t.id:>5}  {t.language}  {t.size:>5}  {t.status:<8} {t.name}{made}")
        for example in t.examples[:2]:
            click.echo(f"{'':17}“{safe_text(example[:100])}”")  # no stored ESC to the terminal


@labels.command("from-theme")
@click.argument("theme_id", type=int)
@click.option("--name", required=True, help="The new label's display name.")
@click.option("--parent", default=None, help="Parent label id, e.g. delivery.")
def from_theme(theme_id: int, name: str, parent: str | None) -> None:
    """Make discovered theme THEME_ID a label: its terms become the label's keywords."""
    from dashapp.labels import discovered as themes

    try:
        with open_store(load_settings()).begin() as session:
            label_id = themes.make_label(session, theme_id, name, parent)
    except themes.ThemeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"label {label_id} added; stored comments are relabelled in the background")
