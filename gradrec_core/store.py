"""Per-session traversal state in SQL (SQLite by default; any SQLAlchemy URL).

A session (keyed by an external id, e.g. Rasa's sender_id) is its list of steps: step 0 is
the seed, each later step holds the item it returned and the walk position after it. The
current item and position are those of the last *active* step, so undo is "deactivate the
last step" and nothing is stored twice. Seen items are kept apart: undo does not forget them.

Concurrency: every operation that reads and then writes a session runs in one transaction.
On SQLite that transaction starts with BEGIN IMMEDIATE (the write lock is taken up front, so
two writers never deadlock upgrading a read lock), the journal is WAL (readers don't block the
writer) and busy_timeout makes a second writer wait instead of failing. Other databases get
SELECT ... FOR UPDATE on the session row.
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
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


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
        if make_url(url).get_backend_name() == "sqlite":
            self.engine = _sqlite_engine(url)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        Base.metadata.create_all(self.engine)
        self._migrate()

    def _migrate(self) -> None:
        """Columns added since a store was created (SQLAlchemy's create_all adds tables only)."""
        from sqlalchemy import inspect, text

        have = {c["name"] for c in inspect(self.engine).get_columns(StepRow.__tablename__)}
        if "plan" not in have:
            with self.engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {StepRow.__tablename__} ADD COLUMN plan TEXT DEFAULT ''"))

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
        stmt = select(SessionRow).where(SessionRow.id == session_id)
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

    def add_step(self, tx: Session, session: SessionRow, step: StepRow) -> None:
        step.session_id = session.id
        tx.add(step)
        if not tx.get(SeenRow, (session.id, step.item_id)):
            tx.add(SeenRow(session_id=session.id, item_id=step.item_id))
        self.touch(session)
        tx.flush()

    def deactivate(self, tx: Session, session: SessionRow, step_id: int) -> None:
        tx.execute(update(StepRow).where(StepRow.id == step_id).values(active=False))
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
        with self.transaction() as tx:
            if tx.get(DirectionRow, key) is None:
                tx.add(DirectionRow(
                    key=key, neutral=neutral, exemplar=exemplar, vector=vector_to_bytes(d.vector),
                    confidence=d.confidence, auc=d.auc, neutral_ids=json.dumps(d.neutral_ids),
                    exemplar_ids=json.dumps(d.exemplar_ids), target_category=d.target_category,
                ))
