"""Per-session traversal state in SQL (SQLite by default; any SQLAlchemy URL).

A session (keyed by an external id, e.g. Rasa's sender_id) is its list of steps: step 0 is
the seed, each later step holds the item it returned and the walk position after it. The
current item and position are those of the last *active* step, so undo is "deactivate the
last step" and nothing is stored twice. Seen items are kept apart: undo does not forget them.

Concurrency: every operation that reads and then writes a session runs in one transaction.
On SQLite that transaction starts with BEGIN IMMEDIATE (the write lock is taken up front, so
two writers never deadlock upgrading a read lock), the journal is WAL (readers don't block the
writer) and busy_timeout makes a second writer wait instead of failing. On PostgreSQL (READ
COMMITTED, its default) the transaction first takes a transaction-scoped advisory lock on the
session id, so writers of one session queue even while its row does not exist yet (two
`start`s of a new session), then reads the row FOR UPDATE; every later statement of the
transaction sees what the previous holder committed. Other databases get SELECT ... FOR UPDATE
on the session row. Directions are written with INSERT ... ON CONFLICT DO NOTHING (PostgreSQL)
or a tolerated duplicate-key error (others): several processes computing the same direction at
once all succeed. Creating the tables is serialised the same way (an advisory lock), so several
processes opening a fresh PostgreSQL database at once do not race.

`postgresql://` URLs (and Heroku-style `postgres://`) use the psycopg 3 driver the package
depends on (`postgresql+psycopg://`); a URL naming its driver is used as given.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import numpy as np
from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import URL
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
SCHEMA_LOCK_KEY = 0x67726164726563  # "gradrec": the advisory lock held while creating the tables


def normalise_url(url: str) -> URL:
    """The SQLAlchemy URL, with plain `postgresql://` / `postgres://` on the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "gradrec_sessions"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    index_fingerprint: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[str] = mapped_column(String(40), default=_now)
    updated_at: Mapped[str] = mapped_column(String(40), default=_now)


class StepRow(Base):
    __tablename__ = "gradrec_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("gradrec_sessions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # start | refine | another
    attribute: Mapped[str] = mapped_column(Text, default="")
    neutral: Mapped[str] = mapped_column(Text, default="")
    exemplar: Mapped[str] = mapped_column(Text, default="")
    opposite: Mapped[str] = mapped_column(Text, default="")
    intensity: Mapped[float] = mapped_column(Float, default=1.0)
    item_id: Mapped[str] = mapped_column(String(255))
    position: Mapped[bytes] = mapped_column(LargeBinary)
    projection: Mapped[float | None] = mapped_column(Float, nullable=True)
    start_projection: Mapped[float | None] = mapped_column(Float, nullable=True)
    floor: Mapped[float | None] = mapped_column(Float, nullable=True)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    low_confidence: Mapped[bool] = mapped_column(Boolean, default=False)
    similarity: Mapped[float | None] = mapped_column(Float, nullable=True)
    # A critique step (`Engine.apply`): its operations and floors as JSON; empty for walk steps.
    plan: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[str] = mapped_column(String(40), default=_now)


class SeenRow(Base):
    __tablename__ = "gradrec_seen"
    session_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("gradrec_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(255), primary_key=True)


class DirectionRow(Base):
    """Directions persist so that a restarted process walks exactly as before."""

    __tablename__ = "gradrec_directions"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    neutral: Mapped[str] = mapped_column(Text)
    exemplar: Mapped[str] = mapped_column(Text)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    confidence: Mapped[float] = mapped_column(Float)
    auc: Mapped[float] = mapped_column(Float)
    neutral_ids: Mapped[str] = mapped_column(Text)  # JSON list
    exemplar_ids: Mapped[str] = mapped_column(Text)  # JSON list
    target_category: Mapped[str | None] = mapped_column(Text, nullable=True)


@dataclass(frozen=True)
class StoredDirection:
    vector: np.ndarray
    confidence: float
    auc: float
    neutral_ids: list[str]
    exemplar_ids: list[str]
    target_category: str | None


def vector_to_bytes(v: np.ndarray) -> bytes:
    return np.ascontiguousarray(v, dtype="<f4").tobytes()


def vector_from_bytes(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype="<f4").astype(np.float32)


def _sqlite_engine(url: str) -> SAEngine:
    parsed = make_url(url)
    memory = parsed.database in (None, "", ":memory:")
    if not memory:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class SessionStore:
    """SQL persistence for sessions and directions. Safe across threads and processes."""

    def __init__(self, url: str = "sqlite:///:memory:") -> None:
        self.url = url
        parsed = normalise_url(url)
        if parsed.get_backend_name() == "sqlite":
            self.engine = _sqlite_engine(url)
        else:
            self.engine = create_engine(parsed, pool_pre_ping=True)
        self.postgres = self.engine.dialect.name == "postgresql"
        if self.postgres:
            from sqlalchemy import text

            with self.engine.begin() as conn:  # one process at a time creates (and migrates) the tables
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
                Base.metadata.create_all(conn)
                self._migrate(conn)
        else:
            Base.metadata.create_all(self.engine)
            self._migrate()

    def _migrate(self, conn=None) -> None:  # type: ignore[no-untyped-def]
        """Columns added since a store was created (SQLAlchemy's create_all adds tables only)."""
        from sqlalchemy import inspect, text

        have = {c["name"] for c in inspect(conn if conn is not None else self.engine).get_columns(StepRow.__tablename__)}
        if "plan" not in have:
            alter = text(f"ALTER TABLE {StepRow.__tablename__} ADD COLUMN plan TEXT DEFAULT ''")
            if conn is not None:
                conn.execute(alter)
            else:
                with self.engine.begin() as own:
                    own.execute(alter)

    @staticmethod
    def from_path(path: str | Path) -> "SessionStore":
        return SessionStore(f"sqlite:///{Path(path).expanduser().resolve()}")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as tx:
            with tx.begin():
                yield tx

    # ------------------------------------------------------------------ sessions
    def lock_session(self, tx: Session, session_id: str) -> SessionRow | None:
        """The session's row, locked for the rest of the transaction (see the module's docstring);
        None when there is none (on PostgreSQL the id is locked all the same)."""
        stmt = select(SessionRow).where(SessionRow.id == session_id)
        if self.postgres:
            from sqlalchemy import text

            tx.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:sid, 0))"), {"sid": session_id})
        if self.engine.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        return tx.execute(stmt).scalar_one_or_none()

    def create_session(self, tx: Session, session_id: str, fingerprint: str) -> SessionRow:
        row = SessionRow(id=session_id, index_fingerprint=fingerprint, version=0)
        tx.add(row)
        tx.flush()
        return row

    def delete_session(self, tx: Session, session_id: str) -> None:
        tx.execute(delete(SeenRow).where(SeenRow.session_id == session_id))
        tx.execute(delete(StepRow).where(StepRow.session_id == session_id))
        tx.execute(delete(SessionRow).where(SessionRow.id == session_id))

    def active_steps(self, tx: Session, session_id: str) -> list[StepRow]:
        stmt = (
            select(StepRow)
            .where(StepRow.session_id == session_id, StepRow.active.is_(True))
            .order_by(StepRow.id)
        )
        return list(tx.execute(stmt).scalars())

    def seen(self, tx: Session, session_id: str) -> set[str]:
        stmt = select(SeenRow.item_id).where(SeenRow.session_id == session_id)
        return set(tx.execute(stmt).scalars())

    def undone_steps(self, tx: Session, session_id: str, after: int) -> list[StepRow]:
        """Inactive steps newer than step id `after`: the ones undone since it, oldest first."""
        stmt = (
            select(StepRow)
            .where(StepRow.session_id == session_id, StepRow.active.is_(False), StepRow.id > after)
            .order_by(StepRow.id)
        )
        return list(tx.execute(stmt).scalars())

    @staticmethod
    def mark_seen(tx: Session, session: SessionRow, item_id: str) -> None:
        if not tx.get(SeenRow, (session.id, item_id)):
            tx.add(SeenRow(session_id=session.id, item_id=item_id))

    def add_step(self, tx: Session, session: SessionRow, step: StepRow) -> None:
        step.session_id = session.id
        tx.add(step)
        self.mark_seen(tx, session, step.item_id)
        self.touch(session)
        tx.flush()

    def deactivate(self, tx: Session, session: SessionRow, step_id: int) -> None:
        self.set_active(tx, session, step_id, False)

    def set_active(self, tx: Session, session: SessionRow, step_id: int, active: bool) -> None:
        tx.execute(update(StepRow).where(StepRow.id == step_id).values(active=active))
        self.touch(session)

    @staticmethod
    def touch(session: SessionRow) -> None:
        session.version += 1
        session.updated_at = _now()

    def session_ids(self) -> list[str]:
        with self.transaction() as tx:
            return list(tx.execute(select(SessionRow.id).order_by(SessionRow.id)).scalars())

    # ------------------------------------------------------------------ directions
    def get_direction(self, key: str) -> StoredDirection | None:
        with Session(self.engine) as tx:
            row = tx.get(DirectionRow, key)
            if row is None:
                return None
            return StoredDirection(
                vector_from_bytes(row.vector), row.confidence, row.auc,
                json.loads(row.neutral_ids), json.loads(row.exemplar_ids), row.target_category,
            )

    def put_direction(self, key: str, neutral: str, exemplar: str, d: StoredDirection) -> None:
        """Store a direction unless one with this key is there (the first writer wins; a direction
        is a pure function of its key, so concurrent writers agree)."""
        values = dict(key=key, neutral=neutral, exemplar=exemplar, vector=vector_to_bytes(d.vector),
                      confidence=d.confidence, auc=d.auc, neutral_ids=json.dumps(d.neutral_ids),
                      exemplar_ids=json.dumps(d.exemplar_ids), target_category=d.target_category)
        if self.postgres:
            with self.transaction() as tx:
                tx.execute(pg_insert(DirectionRow).values(**values).on_conflict_do_nothing(index_elements=["key"]))
            return
        try:
            with self.transaction() as tx:
                if tx.get(DirectionRow, key) is None:
                    tx.add(DirectionRow(**values))
        except IntegrityError:
            log.debug("direction %s was stored by another writer first", key)
