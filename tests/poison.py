"""Text no ingest would accept today, written straight into a store (rows from before the rule)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

#: Comment text with every kind of character a renderer chokes on; PostgreSQL cannot hold NUL.
COMMENT = "vertical\x0btab, escape \x1b[31m, delete \x7f, C1 \x85, non-character \ufffe"


def brand_for(sessions: sessionmaker[Session]) -> str:
    """A hostile stand-in for "Velora": NUL on SQLite (which stores it), controls on both."""
    nul = "\x00" if sessions.kw["bind"].dialect.name == "sqlite" else ""
    return f"Vel{nul}o\x1b[31mra\x0b"


def poison(sessions: sessionmaker[Session], brand: str, comment: str = COMMENT) -> None:
    """Rename brand Velora to *brand* in every table that holds it and set every comment."""
    with sessions.begin() as session:
        for table in ("responses", "rollups", "response_labels", "label_rollups"):
            session.execute(
                text(f"UPDATE {table} SET brand = :brand WHERE brand = 'Velora'"),
                {"brand": brand},
            )
        session.execute(
            text("UPDATE responses SET comment = :c WHERE comment IS NOT NULL"), {"c": comment}
        )
