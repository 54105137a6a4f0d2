"""A synthetic item space whose ground truth is known by construction, for the walk's and
the store's mechanics tests (shared by test_walk_synthetic.py and test_store_concurrency.py;
also run as a worker process by the latter)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from gradrec_core import Engine, Item, SessionStore, WalkConfig
from gradrec_core.encoders import Encoder
from gradrec_core.index import IndexConfig, load_index, write_index

DIM = 16
KINDS = {"polo": 0, "skirt": 1, "heels": 2, "flats": 3}
DARK, LONG = (8, 9), (10, 11)


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def point(kind: str, dark: float, long: float = 0.5, noise: np.ndarray | None = None) -> np.ndarray:
    """Each attribute is an angle on its own circle, so every point has the same norm and no
    attribute leaks into another through normalisation."""
    v = np.zeros(DIM, dtype=np.float64)
    v[KINDS[kind]] = 1.0
    for (a, b), value in ((DARK, dark), (LONG, long)):
        v[a], v[b] = 0.5 * np.cos(value * np.pi / 2), 0.5 * np.sin(value * np.pi / 2)
    if noise is not None:
        v[12:] += noise
    return unit(v)


class TableEncoder(Encoder):
    """Prompts -> fixed points of the synthetic space (a test double for the query side only)."""

    name = "table"

    def __init__(self) -> None:
        super().__init__("table")
        self.table = {
            "polo": point("polo", 0.5), "dark polo": point("polo", 1.0),
            "light polo": point("polo", 0.0),
            "skirt": point("skirt", 0.5), "dark skirt": point("skirt", 1.0),
            "light skirt": point("skirt", 0.0), "long skirt": point("skirt", 0.5, 1.0),
            "heels": point("heels", 0.5), "flats": point("flats", 0.5),
            "random a": unit(np.r_[np.ones(12), np.zeros(4)]), "random b": unit(np.r_[np.ones(12), np.zeros(4)] + 1e-3),
        }

    def _load(self) -> None:
        self._dim, self.device, self._model = DIM, "cpu", object()

    def encode_texts(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool | None = None) -> np.ndarray:
        self._ensure_loaded()
        return np.stack([self.table[t] for t in texts])

    def encode_images(self, images, *, batch_size=32, progress=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def encode_items(self, items, *, progress=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def build_space(out: Path) -> Path:
    rng = np.random.default_rng(7)
    items, vectors = [], []
    for kind in KINDS:
        for i in range(60):
            dark = float(rng.uniform(0, 1))
            long = float(rng.uniform(0, 1))
            vectors.append(point(kind, dark, long, rng.normal(0, 0.01, DIM - 12)))
            items.append(Item(f"{kind}-{i:02d}", f"{kind} {i}", kind, None, {"dark": dark, "long": long}))
    write_index(out, items, np.stack(vectors), {"encoder": "table", "model": "table", "fingerprint": "synthetic"},
                IndexConfig())
    return out


def make_engine(space: Path, db: str = "sqlite:///:memory:", paper: bool = False) -> Engine:
    cfg = WalkConfig(n_neutral=30, n_exemplar=30, k=20)
    cfg = cfg.paper() if paper else cfg
    return Engine(load_index(space), SessionStore(db), cfg, TableEncoder())


def seed_near(engine: Engine, kind: str, dark: float) -> str:
    items = [i for i in engine.index.items if i.category == kind]
    return min(items, key=lambda i: abs(i.metadata["dark"] - dark)).id


def _worker(index_dir: str, db: str, session_ids: list[str], rounds: int) -> dict[str, int]:
    """Step each session `rounds` times (refine, undo, refine) and count the items returned
    (run as a separate process by the concurrency test, which checks the store against it)."""
    engine = make_engine(Path(index_dir), db)
    returned = {sid: 0 for sid in session_ids}
    for _ in range(rounds):
        for sid in session_ids:
            for action in ("refine", "undo", "refine"):
                if action == "undo":
                    engine.undo(sid)
                elif engine.refine(sid, "polo", "dark polo").item is not None:
                    returned[sid] += 1
    return returned


if __name__ == "__main__":
    import json

    print(json.dumps(_worker(sys.argv[1], sys.argv[2], sys.argv[4:], int(sys.argv[3]))))
