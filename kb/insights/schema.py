"""The event store's tables and their versioned migrations.

Migrations only ever add: start-up applies the ones a database lacks and never drops or
rewrites data. DDL goes through Alembic's operations, so one definition serves SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import Connection

metadata = sa.MetaData()

schema_version = sa.Table(
    "kb_schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)

searches = sa.Table(
    "searches",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("session_id", sa.String(64), nullable=False, index=True),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("lang", sa.String(8)),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("results", sa.Integer, nullable=False),
    sa.Column("best_score", sa.Float),
    sa.Column("answered", sa.Boolean, nullable=False),
    sa.Column("slugs", sa.Text, nullable=False),  # JSON list of shown article slugs
    sa.Column("latency_ms", sa.Float, nullable=False),
    # language of the best hit: differs from ``lang`` when only another language answered
    sa.Column("hit_lang", sa.String(8), info={"added": True}),
    # an agent's search is one unit of a pasted message (agent_messages.id); ``unit`` says
    # whether it asks ("question") or only tells ("context": "my card was declined.")
    sa.Column("message_id", sa.String(32), info={"added": True}),
    sa.Column("unit", sa.String(8), info={"added": True}),
)


def _article_event(name: str, *columns: sa.Column) -> sa.Table:  # type: ignore[type-arg]
    """Something a visitor did with an article, optionally tied to the search that led there."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("search_id", sa.String(32), index=True),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        *columns,
    )


clicks = _article_event(  # article views; with search_id when they came from results
    "clicks", sa.Column("section_id", sa.String(200)), sa.Column("position", sa.Integer)
)
votes = _article_event(
    "votes",
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(32)),
    sa.Column("comment", sa.Text),
)
copies = _article_event(  # an agent copied a suggested reply
    "copies",
    sa.Column("section_id", sa.String(200)),
    sa.Column("format", sa.String(16), nullable=False),
    # a combined draft reuses several sections in one copy: JSON ["lang/slug#section", ...]
    sa.Column("sections", sa.Text, info={"added": True}),
)

agent_messages = sa.Table(  # one pasted customer message: one event, its units in searches
    "agent_messages",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("session_id", sa.String(64), nullable=False),
    sa.Column("lang", sa.String(8)),
    sa.Column("questions", sa.Integer, nullable=False),  # units that ask something
    sa.Column("answered", sa.Integer, nullable=False),  # ...of which cleared the threshold
    sa.Column("units", sa.Integer, nullable=False),  # all units searched, context included
    sa.Column("latency_ms", sa.Float, nullable=False),
)


contacts = sa.Table(  # a visitor went on to a support channel: self-service did not resolve
    "contacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("session_id", sa.String(64), nullable=False, index=True),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("query", sa.Text),
)

EVENT_TABLES = (searches, clicks, votes, copies, contacts, agent_messages)


def _create(*tables: sa.Table) -> Callable[[Operations], None]:
    def migrate(op: Operations) -> None:
        for table in tables:  # columns with index=True bring their index along
            columns = [c._copy() for c in table.columns if not c.info.get("added")]
            op.create_table(table.name, *columns)

    return migrate


def _add_column(table: sa.Table, column: str) -> Callable[[Operations], None]:
    """A column added after its table was created; marked ``info={"added": True}`` so
    ``_create`` leaves it to this migration."""

    def migrate(op: Operations) -> None:
        with op.batch_alter_table(table.name) as batch:  # SQLite needs batch mode
            batch.add_column(table.c[column]._copy())

    return migrate


# Append only. Each entry runs once per database, in order.
MIGRATIONS: list[tuple[int, str, Callable[[Operations], None]]] = [
    (1, "searches, clicks and votes", _create(searches, clicks, votes)),
    (2, "copies of agents' suggested replies", _create(copies)),
    (3, "contact-channel events", _create(contacts)),
    (4, "language of a search's best hit", _add_column(searches, "hit_lang")),
    (5, "agents' pasted messages", _create(agent_messages)),
    (6, "the message an agent's search belongs to", _add_column(searches, "message_id")),
    (7, "whether an agent's unit asks or tells", _add_column(searches, "unit")),
    (8, "the sections a copied draft reused", _add_column(copies, "sections")),
]


def migrate(conn: Connection) -> list[int]:
    """Apply missing migrations; returns the versions applied now."""
    schema_version.create(conn, checkfirst=True)
    done = set(conn.execute(sa.select(schema_version.c.version)).scalars())
    ops = Operations(MigrationContext.configure(conn))
    applied = []
    for version, _description, step in MIGRATIONS:
        if version in done:
            continue
        step(ops)
        conn.execute(schema_version.insert().values(version=version, applied_at=sa.func.now()))
        applied.append(version)
    return applied
