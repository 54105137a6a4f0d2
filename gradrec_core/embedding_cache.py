"""A text-embedding cache on disk, shared by every process of a deployment ($GRADREC_EMBEDDING_CACHE).

A text is embedded once per model: index builds into a new folder, several shops whose catalogs
share texts, replicas and restarted action servers (the prompts a critique builds) read its vector
back instead of running the model again. The file is SQLite (WAL: readers never wait on a
writer), keyed by a hash of the encoder's identity (model files, backend, vector-code version) and
the text, so a changed model or backend never reads another's vectors. Off unless the variable
names a file; the test suite points it at a file of its own run (a text is embedded for real once
per run)."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .types import EncoderError

logger = logging.getLogger("gradrec_core.embedding_cache")

ENV = "GRADREC_EMBEDDING_CACHE"
_CHUNK = 500  # keys per SELECT (SQLite's default limit on variables is 32,766)
_opened: dict[str, "EmbeddingCache"] = {}
_opened_lock = threading.Lock()


class EmbeddingCache:
    """Vectors by (encoder identity, text) in one SQLite file; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=60.0, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints; a lost vector is embedded again
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        except (OSError, sqlite3.Error) as exc:
            raise EncoderError(f"{ENV}={path}: cannot open the embedding cache there ({exc})") from exc
        self._pid = os.getpid()

    @staticmethod
    def _keys(identity: str, texts: Sequence[str]) -> list[bytes]:
        prefix = hashlib.sha256(identity.encode()).digest()
        return [hashlib.sha256(prefix + t.encode("utf-8", "surrogatepass")).digest()[:20] for t in texts]

    def get(self, identity: str, texts: Sequence[str], dim: int | None = None) -> dict[int, np.ndarray]:
        """The cached vectors of `texts`, by position (texts not cached are absent)."""
        keys = self._keys(identity, texts)
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start:start + _CHUNK]
                rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})",
                                        chunk).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if dim is None or vector.shape[0] == dim:
                        found[key] = vector
        return {i: found[k] for i, k in enumerate(keys) if k in found}

    def put(self, identity: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store the vectors of `texts` (one row each); a text already stored keeps its vector."""
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for k, v in zip(self._keys(identity, texts), vectors)]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:  # a full disk, a lock held too long: the vectors are still returned
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                logger.warning("could not store %d vectors in the embedding cache %s: %s", len(rows), self.path, exc)


def from_env() -> EmbeddingCache | None:
    """The cache named by $GRADREC_EMBEDDING_CACHE (one per file and process), or None when unset."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    with _opened_lock:
        cache = _opened.get(value)
        if cache is None or cache._pid != os.getpid():  # a forked child opens its own connection
            cache = _opened[value] = EmbeddingCache(Path(value).expanduser().resolve())
        return cache
