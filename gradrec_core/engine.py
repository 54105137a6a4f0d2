"""The engine: one object that answers "show me X", "something darker", "another", "go back".

    engine = Engine.open("var/index/sample", db_url="sqlite:///var/sessions.db")
    engine.start("shopper-1", engine.search("blue polo shirt")[0].item.id)
    step = engine.refine("shopper-1", "blue polo shirt", "dark blue polo shirt")
    step.item, step.axis, step.end_reached

Every step is the graded step (`graded.py`; docs/engine.md "What a step does"): `refine` is a
turn of one comparative given by its prompts, `apply` a turn of a shopper's critique.

State lives in the `SessionStore`, so any process that opens the same index and database
continues a session exactly where another left it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import faiss
import numpy as np

from .colour import JND
from .encoders import MINILM_HUB_ID, Encoder, get_encoder
from .graded import (Axis, AxisBuilder, Floor, TurnState, _filter_column, _holds, _stems, _style, _value_words,
                     graded_step, kind_neighbours, most_like)
from .kinds import SEARCH_EXACT_LIMIT, structures
from .index import ItemIndex, load_index
from .ops import (ChangeKind, Comparative, Different, Exclude, NumericComparative, Op, Range, Require,
                  RequireText, op_from_dict, op_to_dict, prompt_comparative)
from .schema import _KIND_WORDS, column_words
from .store import SessionStore, StepRow, StoredDirection, vector_from_bytes, vector_to_bytes
from .types import (
    Alternatives,
    AttributeValues,
    CritiqueStep,
    Direction,
    Item,
    ItemRemovedError,
    Room,
    ScoredItem,
    SessionError,
    SessionState,
    ValueExample,
    WalkStep,
)
from .walk import DirectionVector, WalkConfig, WalkState, build_direction, paper_step, projection_spread

log = logging.getLogger(__name__)

_DIRECTION_CACHE_SIZE = 1024


class _Stale(Exception):
    """The session changed between preparing its directions and locking it: prepare again."""


_RETRIES = 5
# columns named for what a shopper calls an item's style: colour, occasion, fabric, pattern
_COLOUR_WORDS = frozenset({"colour", "color", "hue", "shade"})
_STYLE_WORDS = _COLOUR_WORDS | {"usage", "occasion", "formality", "style", "material", "fabric", "pattern", "print"}
_AUDIENCE_VALUES = frozenset("men man mens women woman womens male female unisex boys boy girls girl kids kid baby "
                             "babies infant infants ladies gents adult adults".split())


@dataclass(frozen=True)
class _Prepared:
    """Directions needed by a session's active steps, computed outside the write transaction."""

    directions: dict[tuple[str, str, str], DirectionVector]


class Engine:
    """GradREC over one index, with sessions in one store. Thread-safe."""

    def __init__(self, index: ItemIndex, store: SessionStore | None = None,
                 config: WalkConfig | None = None, encoder: Encoder | None = None) -> None:
        # One query at a time is the serving pattern: FAISS's OpenMP threads only add overhead
        # there (3x slower single-query search on 2 busy cores, docs/RESULTS.md).
        faiss.omp_set_num_threads(int(os.environ.get("GRADREC_FAISS_THREADS", "1")))
        self.index = index
        self.store = store or SessionStore()
        self.config = config or WalkConfig()
        self._encoder = encoder
        self._encoder_lock = threading.Lock()
        self._directions: OrderedDict[str, DirectionVector] = OrderedDict()
        self._directions_lock = threading.Lock()
        self.axes = AxisBuilder(index, lambda texts: self.encoder.encode_prompts(texts))

    @classmethod
    def open(cls, index_dir: str | Path, db_url: str | None = None,
             config: WalkConfig | None = None, encoder: Encoder | None = None) -> "Engine":
        """Load an index folder (fast; the encoder loads on first use) and open the store."""
        return cls(load_index(index_dir), SessionStore(db_url or "sqlite:///:memory:"), config, encoder)

    def reopened(self, index_dir: str | Path) -> "Engine":
        """An engine over the version of `index_dir` published now, sharing this one's session
        store and, when the new version embeds queries with the same encoder and model, its
        loaded encoder. Sessions go on: they name items by id (see `replace_removed`)."""
        index = load_index(index_dir)
        same = all(index.manifest.get(k) == self.index.manifest.get(k) for k in ("encoder", "model", "backend"))
        return Engine(index, self.store, self.config, self._encoder if same else None)

    # ------------------------------------------------------------------ items
    @property
    def encoder(self) -> Encoder:
        with self._encoder_lock:
            if self._encoder is None:
                name, model = self.index.manifest["encoder"], self.index.manifest.get("model")
                if name == "minilm" and model == MINILM_HUB_ID:
                    model = None  # the bundled copy
                # queries go through the backend that embedded the items (an index made before the
                # manifest named one was made by torch)
                self._encoder = get_encoder(name, model, backend=self.index.manifest.get("backend") or "torch")
            return self._encoder

    def item(self, item_id: str) -> Item:
        return self.index.item(item_id)

    def categories(self) -> list[str]:
        return [c for c in self.index.category_names if c]

    def search(self, query: str, k: int = 10, category: str | None = None) -> list[ScoredItem]:
        """Zero-shot retrieval: the items closest to the text query in the encoder's space."""
        q = self.encoder.encode_prompts([query])
        scores, rows = self.index.search(q, k, category=category)
        return [ScoredItem(self.index.items[r], float(s)) for s, r in zip(scores[0], rows[0]) if r >= 0]

    def similar(self, item_id: str, k: int = 10) -> list[ScoredItem]:
        """The paper's baseline: the seed's nearest neighbours in order, the seed excluded."""
        row = self.index.row(item_id)
        scores, rows = self.index.search(self.index.vectors[row], k + 1)
        out = [ScoredItem(self.index.items[r], float(s)) for s, r in zip(scores[0], rows[0]) if r >= 0 and r != row]
        return out[:k]

    # ------------------------------------------------------------------ directions
    def _direction_key(self, neutral: str, exemplar: str, opposite: str) -> str:
        c = self.config
        payload = json.dumps([self.index.fingerprint, neutral, exemplar, opposite, c.n_neutral,
                              c.n_exemplar, c.category_switch_share])
        return hashlib.sha256(payload.encode()).hexdigest()

    def _direction_vector(self, neutral: str, exemplar: str, opposite: str = "") -> DirectionVector:
        key = self._direction_key(neutral, exemplar, opposite)
        with self._directions_lock:
            if key in self._directions:
                self._directions.move_to_end(key)
                return self._directions[key]
        stored = self.store.get_direction(key)
        if stored is not None:
            n_rows = np.array([self.index.row(i) for i in stored.neutral_ids], dtype=np.int64)
            e_rows = np.array([self.index.row(i) for i in stored.exemplar_ids], dtype=np.int64)
            d = DirectionVector(
                stored.vector, stored.confidence, stored.auc, n_rows, e_rows, stored.target_category,
                projection_spread(self.index, stored.vector, e_rows, n_rows),
            )
        else:
            queries = self.encoder.encode_prompts([neutral, exemplar] + ([opposite] if opposite else []))
            kinds = structures(self.index)  # a big catalog: the prompts' items from the kinds' lists
            d = build_direction(self.index, queries[0], queries[1], self.config, queries[2] if opposite else None,
                                kinds.search if len(self.index) > SEARCH_EXACT_LIMIT else None)
            self.store.put_direction(key, neutral, exemplar, StoredDirection(
                d.vector, d.confidence, d.auc,
                [self.index.items[r].id for r in d.neutral_rows],
                [self.index.items[r].id for r in d.exemplar_rows],
                d.target_category,
            ))
            log.info("direction %r -> %r (opposite %r): confidence %.2f (AUC %.3f), kind %s", neutral,
                     exemplar, opposite, d.confidence, d.auc, d.target_category or "kept")
        with self._directions_lock:
            self._directions[key] = d
            while len(self._directions) > _DIRECTION_CACHE_SIZE:
                self._directions.popitem(last=False)
        return d

    def direction(self, neutral: str, exemplar: str, opposite: str = "") -> Direction:
        """The traversal direction for a prompt pair, with its confidence (cached). With an
        `opposite` prompt, the exemplar's items are contrasted with the opposite's."""
        d = self._direction_vector(neutral, exemplar, opposite)
        return Direction(
            neutral=neutral, exemplar=exemplar, opposite=opposite, vector=d.vector,
            confidence=d.confidence, auc=d.auc,
            neutral_ids=tuple(self.index.items[r].id for r in d.neutral_rows),
            exemplar_ids=tuple(self.index.items[r].id for r in d.exemplar_rows),
            target_category=d.target_category,
        )

    # ------------------------------------------------------------------ sessions
    def start(self, session_id: str, item_id: str) -> SessionState:
        """(Re)start a session at an item: the seed of the walk."""
        row = self.index.row(item_id)
        with self.store.transaction() as tx:
            if self.store.lock_session(tx, session_id) is not None:
                self.store.delete_session(tx, session_id)
                tx.flush()
            session = self.store.create_session(tx, session_id, self.index.space)
            self.store.add_step(tx, session, StepRow(
                number=0, kind="start", item_id=item_id,
                position=vector_to_bytes(self.index.vectors[row]), confidence=1.0,
            ))
            return self._state(tx, session_id)

    def state(self, session_id: str) -> SessionState | None:
        """The session's current item and active steps, or None for an unknown session."""
        with self.store.transaction() as tx:
            if self._live_session(tx, session_id) is None:
                return None
            return self._state(tx, session_id)

    def sync(self, session_id: str, shown_item_id: str) -> SessionState | None:
        """Make the session agree with what the shopper last saw: when the current item is not
        `shown_item_id` but an earlier active step's is (a step whose reply never reached the
        shopper), the steps after it are undone; when it is the item of the step undone last (an
        undo whose reply never reached them), that undo is taken back. Items stay
        seen. Unknown ids (and ids an update removed from the catalog) change nothing."""
        with self.store.transaction() as tx:
            session = self._live_session(tx, session_id)
            if session is None:
                return None
            steps = self.store.active_steps(tx, session_id)
            if steps and steps[-1].item_id != shown_item_id and shown_item_id in self.index.row_of:
                positions = [i for i, s in enumerate(steps) if s.item_id == shown_item_id]
                undone = self.store.undone_steps(tx, session_id, steps[-1].id)
                if positions:
                    for s in steps[positions[-1] + 1:]:
                        self.store.deactivate(tx, session, s.id)
                    log.warning("session %s: rolled back %d step(s) the shopper never saw", session_id,
                                len(steps) - positions[-1] - 1)
                elif undone and undone[-1].item_id == shown_item_id:
                    # the last undo's reply never reached the shopper: they still see its item
                    self.store.set_active(tx, session, undone[-1].id, True)
                    log.warning("session %s: took back an undo the shopper never saw", session_id)
                return self._state(tx, session_id)
            return self._state(tx, session_id, steps)  # nothing changed: the steps just read

    def reset(self, session_id: str) -> None:
        with self.store.transaction() as tx:
            self.store.delete_session(tx, session_id)

    def undo(self, session_id: str) -> SessionState:
        """Back to the previous item still in the catalog (an update may have removed some).
        Items already shown stay seen."""
        with self.store.transaction() as tx:
            session = self._require_session(tx, session_id)
            steps = self.store.active_steps(tx, session_id)
            back = [i for i, s in enumerate(steps[:-1]) if s.item_id in self.index.row_of]
            if not back:
                raise SessionError(f"session '{session_id}': nothing to undo")
            for s in steps[back[-1] + 1:]:
                self.store.deactivate(tx, session, s.id)
            return self._state(tx, session_id)

    def replace_removed(self, session_id: str) -> SessionState | None:
        """When an update of the catalog removed the session's current item: the closest item
        still in the catalog (nearest to where the walk stood) becomes the current one, as one
        step, so the walk goes on from it ("go back" skips removed items). Returns the state
        (`removed` names the item replaced), or None for an unknown session; a session whose
        item is still there is returned unchanged."""
        with self.store.transaction() as tx:
            session = self._live_session(tx, session_id)
            if session is None:
                return None
            steps = self.store.active_steps(tx, session_id)
            if not steps or steps[-1].item_id in self.index.row_of:
                return self._state(tx, session_id, steps)
            current = steps[-1]
            _, rows = self.index.search(vector_from_bytes(current.position), 1)
            row = int(rows[0][0])
            item = self.index.items[row]
            self.store.add_step(tx, session, StepRow(
                number=current.number + 1, kind="replaced", item_id=item.id,
                position=vector_to_bytes(self.index.vectors[row]), confidence=1.0,
            ))
            self.store.mark_seen(tx, session, item.id)
            log.info("session %s: item %s is no longer in the catalog; went on from %s", session_id,
                     current.item_id, item.id)
            state = self._state(tx, session_id)
            return SessionState(state.session_id, state.current, state.steps, state.seen, current.item_id)

    def refine(self, session_id: str, neutral: str, exemplar: str, intensity: float = 1.0,
               attribute: str = "", opposite: str = "") -> WalkStep:
        """One step from the session's current item along neutral -> exemplar (contrasted with
        `opposite` when given: "long skirt" against "short skirt"): the graded step of `apply`
        with this one comparative. Its axis is a catalog column when the words the exemplar adds
        name one (a swatch for "dark", a numeric or categorical column for "high" or "maxi"),
        else the prompts' text direction. With `WalkConfig().paper()`: the paper's step (eq. 1),
        the baseline the benchmarks compare against."""
        if not neutral.strip() or not exemplar.strip():
            raise SessionError("a refinement needs a neutral and an exemplar prompt")
        if neutral.strip() == exemplar.strip():
            raise SessionError(f"the neutral and exemplar prompts are the same ('{neutral}')")
        if not intensity > 0:
            raise SessionError(f"intensity must be positive, not {intensity}")
        direction = self._direction_vector(neutral, exemplar, opposite)
        if self.config.published:
            def paper(tx, session, steps: list[StepRow], prepared: _Prepared) -> WalkStep:  # type: ignore[no-untyped-def]
                return self._paper_step(tx, session, steps, direction, (neutral, exemplar, opposite), intensity,
                                        attribute)

            return self._locked_step(session_id, paper)
        op = prompt_comparative(neutral, exemplar, opposite, intensity, attribute)

        def take(tx, session, steps: list[StepRow], prepared: _Prepared) -> WalkStep:  # type: ignore[no-untyped-def]
            row = self.index.row(steps[-1].item_id)
            answer = self._critique_step(tx, session, steps, [op], prepared, kind="refine", walked=direction)
            d = direction.vector
            start = float(self.index.vectors[row] @ d)
            axis = answer.axes[0] if answer.axes else "text"
            if answer.item is None:
                return WalkStep(answer.number, "refine", attribute, neutral, exemplar, intensity, None, True,
                                answer.confidence, answer.low_confidence, None, None, None, answer.reason, axis)
            v = self.index.vectors[self.index.row(answer.item.id)]
            projection = float(v @ d)
            return WalkStep(answer.number, "refine", attribute, neutral, exemplar, intensity, answer.item, False,
                            answer.confidence, answer.low_confidence, projection, projection - start,
                            float(v @ self.index.vectors[row]), "", axis)

        return self._locked_step(session_id, take)

    def another(self, session_id: str) -> WalkStep:
        """Another item in place of the current one: the next candidate of the same step, or,
        right after the seed or when that step has no other answer, the nearest unseen item
        of the same kind."""

        return self._locked_step(session_id, self._another)

    def alternatives(self, session_id: str, k: int = 3) -> Alternatives:
        """Up to `k` items that could take the current one's place, each what `another` would
        give (the next candidates of the same step, or the nearest unseen items of the kind),
        offered side by side. Nothing changes but that they count as seen (never offered twice);
        the current item stays until the shopper picks one with `pick`."""
        if k < 1:
            raise SessionError(f"k must be at least 1, not {k}")

        def take(tx, session, steps: list[StepRow], prepared: _Prepared) -> Alternatives:  # type: ignore[no-untyped-def]
            found: list[Item] = []
            reason = ""
            trial = tx.begin_nested()  # each answer as if taken, so the next one differs; then undone
            try:
                last = steps[-1]
                if last.plan and k > 1:  # a critique's step: its next answers ranked by one step
                    first = self._critique_step(tx, session, [s for s in steps if s.id != last.id], _plan_ops(last),
                                                prepared, kind="another", more=k - 1)
                    if first.item is not None:
                        found = [first.item, *first.following]
                        for item in first.following:  # seen, as if each had been taken
                            self.store.mark_seen(tx, session, item.id)
                while len(found) < k:
                    answer = self._another(tx, session, steps, prepared)
                    if answer.item is None:
                        reason = answer.end_reason
                        break
                    found.append(answer.item)
            finally:
                trial.rollback()
            for item in found:
                self.store.mark_seen(tx, session, item.id)
            self.store.touch(session)
            current = self.index.item(steps[-1].item_id)
            if not found:
                log.info("session %s: no alternative left (%s)", session.id, reason)
            return Alternatives(current, tuple(found), reason if not found else "")

        return self._locked_step(session_id, take)  # type: ignore[return-value]

    def pick(self, session_id: str, item_id: str, hold: tuple[str, ...] | list[str] = ()) -> WalkStep:
        """The shopper picked `item_id` (from alternatives, or an example of a value): it becomes
        the current item as one step, so "go back" returns to the one before and the walk goes on
        from it. An earlier filter the picked item does not satisfy ("in black", then a red
        one picked) is replaced by the picked item's value, as "in red" would. `hold`: columns
        the pick was about (a "what colours" carousel's column): the picked item's value on each
        becomes a wish later steps keep, as if the shopper had said "in blue"."""
        row = self.index.row(item_id)
        picked = self.index.items[row]
        for column in hold:
            if self.index.schema.attribute(column) is None:
                raise SessionError(f"no attribute column '{column}' in this catalog's schema")

        def take(tx, session, steps: list[StepRow], prepared: _Prepared) -> WalkStep:  # type: ignore[no-untyped-def]
            current = steps[-1]
            if current.item_id == item_id:  # already the current item: nothing to record
                return WalkStep(current.number, "pick", "", "", "", 1.0, picked, False, 1.0, False,
                                None, None, None)
            filters: list[Require] = []
            for s in steps:
                for op in _plan_ops(s):
                    if isinstance(op, Require):
                        filters = [f for f in filters if f.column != op.column] + [op]
            ops: list[Op] = []
            for f in filters:
                value = str(self.index.column(f.column)[row])
                if value not in [v.lower() for v in f.values] or f.column in hold:
                    ops.append(Require(f.column, (value,), attribute=value))
            for column in hold:
                value = str(self.index.column(column)[row])
                if value and column not in {f.column for f in filters}:
                    ops.append(Require(column, (value,), attribute=value))
            plan = json.dumps({"ops": [op_to_dict(op) for op in ops], "floors": [None] * len(ops)}) if ops else ""
            self.store.add_step(tx, session, StepRow(
                number=current.number + 1, kind="pick", item_id=item_id,
                attribute=" + ".join(op.attribute for op in ops if isinstance(op, Require)),
                position=vector_to_bytes(self.index.vectors[row]), confidence=1.0, plan=plan,
            ))
            return WalkStep(current.number + 1, "pick", "", "", "", 1.0, picked, False, 1.0, False,
                            None, None, None)

        return self._locked_step(session_id, take)

    def _another(self, tx, session, steps: list[StepRow], prepared: _Prepared) -> WalkStep:  # type: ignore[no-untyped-def]
        """`another`'s answer for the session's active `steps` (a step is added)."""
        last = steps[-1]
        if last.plan:
            base = [s for s in steps if s.id != last.id]
            answer = self._critique_step(tx, session, base, _plan_ops(last), prepared, kind="another")
            if answer.item is not None:
                return _as_walk(answer)
        return self._another_like(tx, session, steps)

    def apply(self, session_id: str, ops: list[Op]) -> CritiqueStep:
        """One critique turn: the next item satisfying every operation at once (a compound
        critique is one step), graded, style held, earlier critiques kept (`graded.py`)."""
        if not ops:
            raise SessionError("a critique needs at least one operation")
        for op in ops:
            self._check_op(op)
        for op in ops:  # encoder calls happen here, outside any lock
            for prompts in _prompts(op):
                self._direction_vector(*prompts)

        def take(tx, session, steps: list[StepRow], prepared: _Prepared) -> CritiqueStep:  # type: ignore[no-untyped-def]
            return self._critique_step(tx, session, steps, ops, prepared)

        return self._locked_step(session_id, take)  # type: ignore[return-value]

    def values_like(self, item_id: str, column: str, k: int = 50, examples: int = 8) -> AttributeValues:
        """The values `column` takes among the `k` items most like `item_id` in its kind
        ("what colours does it come in?"), the item itself included; for a categorical column,
        also an example item for each of the first `examples` values (most common first) other
        than the item's own:
        the item of its kind with that value most like it in everything else (its text and the
        other attribute columns), so "in red" can be shown rather than said."""
        schema = self.index.schema
        row = self.index.row(item_id)
        item = self.index.items[row]
        numeric = schema.numeric_column(column) is not None
        if not numeric and schema.attribute(column) is None:
            raise SessionError(f"no column '{column}' in this catalog's schema")
        rows = np.unique(np.concatenate([[row], kind_neighbours(self.index, row, k, item.category)]))
        values = self.index.column(column)[rows]
        mine = self.index.column(column)[row]
        if numeric:
            finite = values[np.isfinite(values)]
            return AttributeValues(column, None if not np.isfinite(mine) else float(mine), (), True,
                                   float(finite.min()) if len(finite) else None,
                                   float(finite.max()) if len(finite) else None)
        counts: dict[str, int] = {}
        for v in values:
            if v:
                counts[v] = counts.get(v, 0) + 1
        ordered = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return AttributeValues(column, mine, ordered, False,
                               examples=self._value_examples(row, column, [v for v, _ in ordered], examples))

    def _value_examples(self, row: int, column: str, values: list[str], limit: int) -> tuple[ValueExample, ...]:
        item = self.index.items[row]
        kinds = structures(self.index)  # the kind's rows and the column's integer codes, computed once
        kind_rows = kinds.rows(item.category or None)
        in_column = kinds.local(column, item.category or None)
        _, code_of = kinds.column_codes(column)
        mine = self.index.column(column)[row]
        hold = [c.name for c in self.index.schema.attributes if c.name != column]
        found: list[ValueExample] = []
        for value in values[:limit]:
            if value == mine or value not in code_of:
                continue
            rows = kind_rows[in_column == code_of[value]]
            rows = rows[rows != row]
            if not len(rows):
                continue
            best, _ = most_like(self.index, rows, row, hold, ())  # the colour may change: no colour hold
            found.append(ValueExample(value, self.index.items[int(best[0])]))
        return tuple(found)

    def room(self, state: SessionState) -> Room:
        """Which ways the catalog lets `state` go on from its current item, among the unseen
        items of its kind (numpy over the kind's rows; no encoder, no lock): whether an earlier
        item exists, each numeric column's smaller / larger values, the swatch's darker /
        lighter shades, and each categorical column's other values. A chat offers only the
        chips this allows."""
        item = state.current
        if item is None:
            raise SessionError(f"session '{state.session_id}' has no current item")
        row = self.index.row(item.id)
        rows = self.index.rows_in_category(item.category) if item.category else np.arange(len(self.index))
        seen = [self.index.row_of[i] for i in state.seen | {item.id} if i in self.index.row_of]
        unseen = rows[~np.isin(rows, np.asarray(seen, dtype=np.int64))]
        schema = self.index.schema
        numeric: dict[str, tuple[bool, bool]] = {}
        for c in schema.numeric:
            values = self.index.column(c.name)
            mine = values[row]
            if np.isfinite(mine):
                others = values[unseen]
                numeric[c.name] = (bool(np.any(others < mine)), bool(np.any(others > mine)))
        shade = None
        lab = self.index.swatch_lab()
        if lab is not None and np.isfinite(lab[row, 0]):
            light = lab[unseen, 0]
            shade = (bool(np.any(light < lab[row, 0] - JND)), bool(np.any(light > lab[row, 0] + JND)))
        values_room: dict[str, tuple[str, ...]] = {}
        for a in schema.attributes:
            column = self.index.column(a.name)
            others, counts = np.unique(column[unseen], return_counts=True)
            order = np.argsort(-counts, kind="stable")
            values_room[a.name] = tuple(str(others[i]) for i in order if others[i] and others[i] != column[row])
        return Room(item, len(state.steps) > 0, numeric, shade, values_room)  # steps: after the start

    def _check_op(self, op: Op) -> None:
        schema = self.index.schema
        if isinstance(op, (Require, Exclude)) and schema.attribute(op.column) is None:
            raise SessionError(f"no attribute column '{op.column}' in this catalog's schema")
        if isinstance(op, (Range, NumericComparative)) and schema.numeric_column(op.column) is None:
            raise SessionError(f"no numeric column '{op.column}' in this catalog's schema")
        if isinstance(op, (Comparative, NumericComparative)) and not op.intensity > 0:
            raise SessionError(f"intensity must be positive, not {op.intensity}")
        if isinstance(op, Comparative) and op.neutral.strip() == op.exemplar.strip():
            raise SessionError(f"the neutral and exemplar prompts are the same ('{op.neutral}')")
        if isinstance(op, ChangeKind):
            known = {c.lower() for c in self.index.category_names if c}
            unknown = [k for k in op.kinds if k.lower() not in known]
            if not op.kinds or unknown:
                raise SessionError(f"no kind {', '.join(repr(k) for k in unknown) or '(none given)'} in this catalog")

    def _audience_column(self) -> str | None:
        """The column saying who an item is for (named gender / sex, or whose values are men,
        women, unisex, boys, girls ...), or None."""
        if not hasattr(self, "_audience"):
            found = None
            for c in self.index.schema.attributes:
                words = {w for v in c.values for w in v.lower().replace("'", "").split()}
                named = bool(set(column_words(c.name)) & {"gender", "sex", "audience"})
                if named or (words and len(words & _AUDIENCE_VALUES) >= 0.8 * len(words)):
                    found = c.name
                    break
            self._audience = found
        return self._audience

    def _visibility(self) -> dict[str, float]:
        """Per attribute column, the share of items whose text says their value (gender, colour
        and brand in a product name: 1; season or year: 0): what a shopper sees of an item.
        Computed once, on at most 2,000 items."""
        if not hasattr(self, "_visible"):
            rows = np.linspace(0, len(self.index) - 1, min(len(self.index), 2000)).astype(int)
            texts = [self.index.items[r].text.lower().replace("-", "") for r in rows]
            out: dict[str, float] = {}
            for c in self.index.schema.attributes:
                values = [str(v).replace("-", "") for v in self.index.column(c.name)[rows]]
                # singular or plural: "Tshirts" is said by "T-shirt", "Backpacks" by "Backpack"
                said = [bool(v) and (v in t or (v.endswith("s") and v[:-1] in t)) for v, t in zip(values, texts)]
                out[c.name] = float(np.mean(said)) if said else 0.0
            self._visible = out
        return self._visible

    def _closest_kind(self, row: int, kinds: tuple[str, ...], hold: list[str]) -> str:
        """Of the kinds a kind change allows, the one whose items look most like the current
        item (its best three, style held): "shoes" from a casual shirt are casual shoes."""
        by_lower = {c.lower(): c for c in self.index.category_names if c}
        best: tuple[float, str] | None = None
        for kind in dict.fromkeys(by_lower[k.lower()] for k in kinds):
            rows = self.index.rows_in_category(kind)
            if not len(rows):
                continue
            score = np.sort(most_like(self.index, rows, row, hold, n=3)[1]).mean()
            if best is None or score > best[0]:
                best = (float(score), kind)
        assert best is not None  # `_check_op` made sure the kinds exist
        return best[1]

    def _most_held(self, rows: np.ndarray, row: int, ops: list[Op], held: list[Require], seen: set[int],
                   visible: dict[str, float], standing: np.ndarray | None = None) -> list[Require]:
        """Of the attributes to hold, those the candidate keeping the most of them keeps (the
        ones the item texts show first at equal count): "in pink" keeps the cut, the fabric and
        the occasion when some pink item has all three, not just the ones shown in names. The
        candidates also keep what earlier turns asked (`standing`: a mask over `rows`) where any
        does, as the step will; the attributes come back most kept first, so that relaxing
        from the end lets the cut go before the style."""
        asked = [op for op in ops if isinstance(op, (Require, RequireText, Range, Exclude))]
        keep = ~np.isin(rows, list(seen | {row}))
        for op in asked:
            keep &= _holds(self.index, op, rows)
        if standing is not None:
            # ... where any does for the same audience: who it is for outweighs an earlier wish
            same = keep & standing
            for h in held:
                if h.column == self._audience_column():
                    same[same] = _holds(self.index, h, rows[same])
            if same.any():
                keep &= standing
        candidates = rows[keep]
        if not len(candidates) or not held:
            return held
        matches = np.stack([_holds(self.index, h, candidates) for h in held], axis=1)
        # the brand, then the style a shopper names (colour, occasion, fabric, pattern), count before
        # the cut (fit, sleeves, length); who it is for never changes unasked, whatever else is kept
        schema = self.index.schema
        styled = {c.name for c in schema.attributes if set(column_words(c.name)) & _STYLE_WORDS - _COLOUR_WORDS}
        colours = [c for c in schema.attributes if set(column_words(c.name)) & _COLOUR_WORDS]
        # of several colour columns, the family ("blue"), not the shade name ("off white"); it
        # counts more than any one other style attribute (a pink wallet's backpack is pink before
        # it is casual), two of them more than it
        family = min(colours, key=lambda c: (len(c.values), c.name)).name if colours else None
        if family is not None:
            styled.add(family)
        audience = self._audience_column()
        weight = np.array([1.0 + 9.0 * (h.column in styled) + 5.0 * (h.column == family)
                           + 0.01 * visible.get(h.column, 0.0)
                           + 90.0 * (h.column == schema.brand_column) + 1000.0 * (h.column == audience)
                           for h in held])
        best = int(np.argmax(matches @ weight))
        order = np.argsort(-weight, kind="stable")
        return [held[j] for j in order if matches[best, j]]

    def _standing(self, rows: np.ndarray, ops: list[Op], axes: list[Axis | None], filters: list[Op],
                  floors: list[Floor], floor_axes: list[Axis]) -> np.ndarray:
        """Which of `rows` keep what earlier turns asked and this one leaves standing: their
        filters on columns this turn neither sets nor moves, and their remembered levels (the
        step's own rule, `graded_step`)."""
        replaced = {_filter_column(op) for op in ops if isinstance(op, (Require, RequireText, Range, Exclude))}
        moved = {ax.source.split(":", 1)[1] for ax in axes if ax is not None and ":" in ax.source}
        keep = np.ones(len(rows), dtype=bool)
        for f in filters:
            if _filter_column(f) not in replaced and not (isinstance(f, (Require, Exclude)) and f.column in moved):
                keep &= _holds(self.index, f, rows)
        for fl, ax in zip(floors, floor_axes):
            levels = ax.levels[rows]
            keep &= np.isfinite(levels) & (levels >= fl.floor)
        return keep

    def _kind_with(self, row: int, ops: list[Op], seen: set[int]) -> str | None:
        """When a turn only asks for values (a brand, a colour, a material: `Require` /
        `RequireText`, no comparative) and no item of the current kind has them, the kind of the
        unseen item that has them, is for the same audience, and looks most like the current item
        (its group's kinds first: a brand without t-shirts shows its shirt); None when no kind has
        them, or when the column says nothing of this kind's items (sleeves on sneakers)."""
        asked = [op for op in ops if isinstance(op, (Require, RequireText))]
        if not asked or any(not isinstance(op, (Require, RequireText, Range, Exclude)) for op in ops):
            return None
        mine = self.index.rows_in_category(self.index.items[row].category)
        if any(isinstance(op, Require) and not self._filled(op.column, mine).any() for op in asked):
            return None  # a part this kind has not at all ("long sleeves" on sneakers): no other kind's
        rows = np.arange(len(self.index))
        keep = np.ones(len(rows), dtype=bool)
        for op in [*asked, *(op for op in ops if isinstance(op, (Range, Exclude)))]:
            keep &= _holds(self.index, op, rows)
        audience = self._audience_column()
        if audience is not None and (mine := self.index.column(audience)[row]):
            keep &= self._same(audience, rows, row)
        keep &= ~np.isin(rows, list(seen))
        current = self.index.items[row].category
        codes = self.index.category_codes
        candidates = rows[keep & (codes != codes[row])]
        groups = self.index.schema.kind_groups
        group = groups.get((current or "").lower())
        kind_like = [c.name for c in self.index.schema.attributes if set(column_words(c.name)) & _KIND_WORDS]
        # only within the item's broad category where a column says it (masterCategory): a shirt
        # asked "by <a brand>" is not answered with that brand's shoes
        if kind_like:
            broad = min(kind_like, key=self._distinct)
            candidates = candidates[self._same(broad, candidates, row)]
        if not len(candidates):
            return None
        score = _style(self.index, candidates, row, [], [c.name for c in self.index.schema.attributes
                                                         if c.name not in kind_like])
        for c in kind_like:  # the broader category columns (masterCategory, subCategory) kept first
            score = score + self._same(c, candidates, row)
        if group is not None:
            in_group = np.array([groups.get((name or "").lower()) == group for name in self.index.category_names],
                                dtype=float)
            score = score + in_group[codes[candidates]]
        return self.index.items[int(candidates[int(np.argmax(score))])].category

    def _kind_keeping(self, row: int, wanted: list[Op], steps: list[StepRow], seen: set[int]) -> str | None:
        """The kind nearest the current item's (`_sibling_kinds`) with an unseen item, for the same
        audience, that has everything `wanted` (this turn's values and the earlier wishes still in
        force); None when none has, or when the shopper named the current kind in an earlier turn
        (then the kind is a wish too, and the step lets the older wish go as before)."""
        current = (self.index.items[row].category or "").lower()
        for s in steps:
            for d in (json.loads(s.plan)["ops"] if s.plan else []):
                if d.get("op") == "change_kind" and d.get("attribute") and current in {k.lower() for k in d["kinds"]}:
                    return None
        audience = self._audience_column()
        mine = audience is not None and str(self.index.column(audience)[row]) != ""
        for other in self._sibling_kinds(current):
            rows = self.index.rows_in_category(other)
            keep = ~np.isin(rows, list(seen))
            if mine:
                keep &= self._same(audience, rows, row)  # type: ignore[arg-type]
            for op in wanted:
                if not keep.any():
                    break
                keep[keep] = _holds(self.index, op, rows[keep])
            if keep.any():
                return other
        return None

    def _sibling_kinds(self, kind: str) -> list[str]:
        """The kinds a shopper looking at `kind` would still take for the same sort of thing,
        nearest first (cosine of the kinds' mean vectors): those of its group where the catalog's
        kinds nest in a coarser column (Trousers, Shorts: Bottomwear); else the nearest kind and any
        within 0.05 of it (trousers: shorts; a shirt: t-shirts and polo shirts, not dresses)."""
        def centroids() -> tuple[list[str], np.ndarray]:
            names = [k for k in self.index.category_names if k]
            means = []
            for k in names:
                rows = self.index.rows_in_category(k)
                rows = rows[np.linspace(0, len(rows) - 1, min(len(rows), 1000)).astype(int)] if len(rows) else rows
                m = self.index.vectors[rows].astype(np.float64).mean(axis=0) if len(rows) else np.zeros(
                    self.index.vectors.shape[1])
                means.append(m / (np.linalg.norm(m) + 1e-12))
            return names, np.array(means)
        names, means = structures(self.index).extra("kind-centroids", centroids)
        lower = [n.lower() for n in names]
        if kind not in lower:
            return []
        similarity = means @ means[lower.index(kind)]
        order = [i for i in np.argsort(-similarity, kind="stable") if lower[i] != kind]
        groups = self.index.schema.kind_groups
        if groups:
            return [names[i] for i in order if groups.get(lower[i]) is not None and groups.get(lower[i]) == groups.get(kind)]
        return [names[i] for i in order if similarity[i] >= similarity[order[0]] - 0.05] if order else []

    def _same(self, column: str, rows: np.ndarray, row: int) -> np.ndarray:
        """`column(column)[rows] == column(column)[row]`, on the integer codes of a text column."""
        values = self.index.column(column)
        if values.dtype != object:
            return values[rows] == values[row]
        codes = structures(self.index).column_codes(column)[0]
        return codes[rows] == codes[row]

    def _filled(self, column: str, rows: np.ndarray) -> np.ndarray:
        """`column(column)[rows] != ""`, on the integer codes of a text column."""
        values = self.index.column(column)
        if values.dtype != object:
            return values[rows] != ""
        codes, vocabulary = structures(self.index).column_codes(column)
        return codes[rows] != vocabulary.get("", -1)

    def _distinct(self, column: str) -> int:
        """`len(set(column(column)))`: how many values the rows have (counted on the codes)."""
        values = self.index.column(column)
        if values.dtype != object:
            return len(set(values))
        return int(np.count_nonzero(np.bincount(structures(self.index).column_codes(column)[0])))

    def _kind_or_comparative(self, ops: list[Op], row: int) -> list[Op]:
        """A comparative that may change the kind ("sportier" casual shoes) comes as a
        `ChangeKind` with its pole words and the `Comparative`: the comparative is kept when the
        current kind's own items have a value naming that end (formal heels: "more formal"
        stays in heels), else the kind change."""
        change = next((op for op in ops if isinstance(op, ChangeKind) and op.pole), None)
        if change is None:
            return ops
        pole = _stems(change.pole)
        rows = self.index.rows_in_category(self.index.items[row].category)
        in_kind = any(_stems(_value_words(v)) & pole for c in self.index.schema.attributes
                      for v in set(self.index.column(c.name)[rows]) if v)
        if in_kind:
            return [op for op in ops if op is not change]
        return [op for op in ops if not (isinstance(op, Comparative) and set(op.pole) == set(change.pole))]

    def _critique_step(self, tx, session, steps: list[StepRow], ops: list[Op],  # type: ignore[no-untyped-def]
                       prepared: _Prepared, kind: str = "critique",
                       walked: DirectionVector | None = None, more: int = 0) -> CritiqueStep:
        """One graded step (`graded_step`) for `ops` from the session's active `steps`, stored.
        `walked`: the direction of a `refine`, whose prompts and projections the step keeps;
        `more`: how many of the step's next answers to return as well (the web chat's alternatives)."""
        current = steps[-1]
        row = self.index.row(current.item_id)
        ops = self._kind_or_comparative(ops, row)
        directions = {}
        for op in ops:
            for prompts in _prompts(op):
                directions[prompts] = prepared.directions.get(prompts) or self._cached_direction(prompts)
        category = self.index.items[row].category
        for op in ops:
            if isinstance(op, Comparative):
                target = directions[op.prompts].target_category
                if target:
                    category = target
        kind_change = next((op for op in ops if isinstance(op, ChangeKind)), None)
        kind_columns = {c.name for c in self.index.schema.attributes if set(column_words(c.name)) & _KIND_WORDS}
        if kind_change is not None:
            category = self._closest_kind(row, kind_change.kinds, [
                c.name for c in self.index.schema.attributes if c.name not in kind_columns])
        rows = self.index.rows_in_category(category) if category else np.arange(len(self.index))
        axes: list[Axis | None] = []
        for op in ops:
            if isinstance(op, Comparative):
                axes.append(self.axes.axis(op, directions[op.prompts], rows))
            elif isinstance(op, NumericComparative):
                axes.append(self.axes.axis(op, None, rows))
            else:
                axes.append(None)
        floors: list[Floor] = []
        floor_axes: list[Axis] = []
        filters: list[Op] = []
        for s in steps:
            plan = json.loads(s.plan) if s.plan else None
            if not plan:
                continue
            for d, fl in zip(plan["ops"], plan["floors"]):
                op = op_from_dict(d)
                if isinstance(op, Different):  # another style: earlier wishes go, a budget stays
                    filters = [f for f in filters if isinstance(f, Range)]
                    floors, floor_axes = [], []
                elif isinstance(op, (Require, RequireText, Range, Exclude)):
                    filters = [f for f in filters if _same_filter(f, op) is False] + [op]
                elif fl is not None and self.config.remember_critiques:
                    direction = None
                    if isinstance(op, Comparative):
                        direction = prepared.directions.get(op.prompts)
                        if direction is None:
                            raise _Stale
                    floors.append(Floor(op, float(fl)))
                    floor_axes.append(self.axes.axis(op, direction, rows))
        # an earlier critique the new one points against is dropped ("darker", then "lighter");
        # the new one then reaches back no further than the item its last step left
        keep = [i for i, f in enumerate(floors) if not any(_against(f.op, op, prepared, directions) for op in ops)]
        floors = [floors[i] for i in keep]
        floor_axes = [floor_axes[i] for i in keep]
        caps = self._reversal_caps(steps, ops, axes, prepared, directions)
        seen = {self.index.row_of[i] for i in self.store.seen(tx, session.id) if i in self.index.row_of}
        touched = {ax.source.split(":", 1)[1] for ax in axes if ax is not None and ":" in ax.source}
        touched |= {op.column for op in ops if isinstance(op, (Require, Exclude))}
        if kind_change is not None:  # the kind's group columns (subCategory ...) change with it
            touched |= kind_columns
        hold = [c.name for c in self.index.schema.attributes if c.name not in touched]
        no_kind = not any(self.index.category_names)
        held: list[Require] = []
        # a turn that only asks for values ("in navy", "by Puma", "under 50") changes nothing else
        # it can keep: every other attribute is held the same way, the least shown let go first
        values_only = bool(ops) and all(isinstance(op, (Require, RequireText, Range, Exclude)) for op in ops)
        if kind_change is not None or no_kind or values_only:
            # a kind change keeps the rest of the style, and without a kind column the kind is
            # somewhere among the attributes ("cheaper" must stay a wallet): the attributes not
            # asked about are held as filters, the ones the item texts show first; the least
            # shown are let go one by one while nothing satisfies them
            schema = self.index.schema
            colour = {schema.swatch_column, schema.colour_column} if any(
                ax is not None and ax.source.startswith("swatch:") for ax in axes) else set()
            visible = self._visibility()
            most = values_only or kind_change is not None
            columns = [c for c in hold if c not in colour and (no_kind or most or visible.get(c, 0.0) >= 0.3)]
            # at equal visibility the colour goes first: the CIELAB hold still keeps it close
            columns.sort(key=lambda c: (-visible.get(c, 0.0), c in (schema.colour_column, schema.swatch_column)))
            held = [Require(c, (v,), v) for c in columns if (v := str(self.index.column(c)[row]))
                    and not any(isinstance(f, Require) and f.column == c for f in filters)]
            if most:
                held = self._most_held(rows, row, ops, held, seen, visible,
                                       self._standing(rows, ops, axes, filters, floors, floor_axes))
        else:
            audience = self._audience_column()
            value = str(self.index.column(audience)[row]) if audience in hold else ""
            if value:  # who it is for never changes unasked ("darker" stays a men's t-shirt)
                held = [Require(audience, (value,), value)]  # type: ignore[arg-type]
        fallback = None  # the first answer found by relaxing, with the most held
        audience = self._audience_column()
        while True:
            result = graded_step(self.index, TurnState(row, seen, floors, filters + held, caps), ops, axes, floor_axes,
                                 category, hold, more)
            if result.row is not None and not result.relaxed:
                break
            if fallback is None and result.row is not None:
                fallback = result
            # who it is for goes last, and not for an earlier wish: a women's jacket "by Denimory" after
            # "in blue" is a women's Denimory one in another colour, not a men's blue one
            if not held or (fallback is not None and all(h.column == audience for h in held)):
                result = fallback or result
                break
            held = held[:-1]
        if result.row is None and kind_change is None and not no_kind:
            other = self._kind_with(row, ops, seen)
            if other is not None:  # no item of this kind has the value asked: the closest kind that does
                return self._critique_step(tx, session, steps, [*ops, ChangeKind((other,), "")], prepared, kind)
        if result.relaxed and values_only and kind_change is None and not no_kind and not floors:
            # the value asked drops an earlier wish within this kind ("in linen" after "in green": no
            # green linen trousers): the nearest kind that keeps both, unless the shopper named this kind
            earlier = [f for f in filters if _filter_column(f) not in
                       {_filter_column(op) for op in ops if isinstance(op, (Require, RequireText, Range, Exclude))}]
            other = self._kind_keeping(row, [*ops, *earlier], steps, seen) if earlier else None
            if other is not None:
                keeps = tuple(dict.fromkeys(getattr(f, "attribute", "") for f in earlier if getattr(f, "attribute", "")))
                return self._critique_step(tx, session, steps, [*ops, ChangeKind((other,), "", keeps=keeps)],
                                           prepared, kind)
        text_conf = [directions[op.prompts].confidence for op in ops if isinstance(op, Comparative)
                     and axes[ops.index(op)] is not None and axes[ops.index(op)].source == "text"]
        confidence = min(text_conf) if text_conf else 1.0
        low = confidence < self.config.confidence_threshold
        number = current.number + 1
        op_dicts = tuple(op_to_dict(op) for op in ops)
        if result.row is None:
            log.info("session %s: end of %s (%s)", session.id, [o["op"] for o in op_dicts], result.reason)
            return CritiqueStep(number, None, True, result.reason, op_dicts, result.axes, result.levels,
                                tuple(self.index.items[r] for r in result.alternatives), False,
                                confidence, low)
        item = self.index.items[result.row]
        level_iter = iter(result.levels)
        stored_floors = []
        for op, ax in zip(ops, axes):
            if ax is None:
                stored_floors.append(None)
            else:
                before, after = next(level_iter)
                stored_floors.append((before + after) / 2.0)
        walk: dict[str, Any] = {}
        if walked is not None and isinstance(ops[0], Comparative):  # a refine: as `state()` shows it
            walk = dict(neutral=ops[0].neutral, exemplar=ops[0].exemplar, opposite=ops[0].opposite,
                        intensity=ops[0].intensity,
                        projection=float(self.index.vectors[result.row] @ walked.vector),
                        start_projection=float(self.index.vectors[row] @ walked.vector))
        self.store.add_step(tx, session, StepRow(
            number=number, kind=kind, attribute=" + ".join(getattr(op, "attribute", "") for op in ops),
            item_id=item.id, position=vector_to_bytes(self.index.vectors[result.row]),
            confidence=confidence, low_confidence=low,
            plan=json.dumps({"ops": list(op_dicts), "floors": stored_floors}), **walk,
        ))
        let_go = self._let_go(result.row, filters, floors, floor_axes) if result.relaxed else ()
        return CritiqueStep(number, item, False, "", op_dicts, result.axes, result.levels, (),
                            result.relaxed, confidence, low,
                            tuple(self.index.items[r] for r in result.following), let_go)

    def _let_go(self, row: int, filters: list[Op], floors: list[Floor], floor_axes: list[Axis]) -> tuple[str, ...]:
        """The earlier wishes a relaxed step's item does not keep, as said: the filters in force
        it fails and the earlier comparatives whose level it falls below (a relaxed step drops
        them all to find an item; the one found may still keep some: "brown" on a coffee-brown
        shoe, the kind asked for before on an item of that kind)."""
        at = np.array([row])
        lost = [getattr(f, "attribute", "") for f in filters if not _holds(self.index, f, at)[0]]
        lost += [getattr(fl.op, "attribute", "") for fl, ax in zip(floors, floor_axes)
                 if not float(ax.levels[row]) >= fl.floor]
        return tuple(dict.fromkeys(a for a in lost if a))

    def _reversal_caps(self, steps: list[StepRow], ops: list[Op], axes: list[Axis | None], prepared: _Prepared,
                       directions: dict) -> dict[int, float]:  # type: ignore[type-arg]
        """For each comparative of `ops` that reverses the walk's latest steps ("lighter" after
        "darker"), the level on its axis of the item before the last step it reverses, when that
        step was at least the second of a run (one step back is what undo is for; a reversal
        after a long walk must not land back at its start)."""
        caps: dict[int, float] = {}
        for i, (op, ax) in enumerate(zip(ops, axes)):
            if ax is None:
                continue
            run = 0
            last = None
            for k in range(len(steps) - 1, 0, -1):
                if any(_against(old, op, prepared, directions) for old in _plan_ops(steps[k])):
                    run += 1
                    last = k if last is None else last
                elif run:
                    break
            if last is not None and run >= 2:
                caps[i] = float(ax.levels[self.index.row(steps[last - 1].item_id)])
        return caps

    def _cached_direction(self, prompts: tuple[str, str, str]) -> DirectionVector:
        key = self._direction_key(*prompts)
        with self._directions_lock:
            if key in self._directions:
                return self._directions[key]
        raise _Stale

    # ------------------------------------------------------------------ internals
    def _locked_step(self, session_id: str,
                     take: Callable[[Any, Any, list[StepRow], _Prepared], WalkStep]) -> WalkStep:
        """Run `take` on the session's active steps under its write lock, with the directions
        it needs built beforehand; when the session changed in between, prepare again."""
        for _ in range(_RETRIES):
            prepared = self._prepare(session_id)
            try:
                with self.store.transaction() as tx:
                    session = self._require_session(tx, session_id)
                    steps = self.store.active_steps(tx, session_id)
                    if steps and steps[-1].item_id not in self.index.row_of:
                        raise ItemRemovedError(f"session '{session_id}': item '{steps[-1].item_id}' is no "
                                               "longer in the catalog", steps[-1].item_id)
                    return take(tx, session, steps, prepared)
            except _Stale:
                continue
        raise SessionError(f"session '{session_id}' is changing too fast to step; try again")

    def _live_session(self, tx, session_id: str):  # type: ignore[no-untyped-def]
        session = self.store.lock_session(tx, session_id)
        if session is not None and session.index_fingerprint not in (self.index.space, self.index.fingerprint):
            # another embedding space (encoder or model changed): its walk positions mean nothing
            # here. A new version of the catalog in the same space keeps every session.
            log.warning("session %s was built on another embedding space; starting it over", session_id)
            self.store.delete_session(tx, session_id)
            return None
        return session

    def _require_session(self, tx, session_id: str):  # type: ignore[no-untyped-def]
        session = self._live_session(tx, session_id)
        if session is None:
            raise SessionError(f"no session '{session_id}': start one with an item first")
        return session

    def _prepare(self, session_id: str) -> _Prepared:
        """Directions of the session's active steps, built before taking the write lock (an
        encoder call must not hold up other sessions)."""
        with self.store.transaction() as tx:
            steps = self.store.active_steps(tx, session_id)
            pairs: set[tuple[str, str, str]] = set()
            for s in steps:
                pairs.update(p for op in _plan_ops(s) for p in _prompts(op))
        return _Prepared({pair: self._direction_vector(*pair) for pair in sorted(pairs)})

    def _paper_step(self, tx, session, steps: list[StepRow], direction: DirectionVector,  # type: ignore[no-untyped-def]
                    prompts: tuple[str, str, str], intensity: float, attribute: str) -> WalkStep:
        """The paper's step (`walk.paper_step`) from the walk's stored position: the baseline."""
        current = steps[-1]
        seen = {self.index.row_of[i] for i in self.store.seen(tx, session.id) if i in self.index.row_of}
        state = WalkState(vector_from_bytes(current.position), self.index.row(current.item_id), seen)
        result = paper_step(self.index, state, direction, self.config, intensity)
        neutral, exemplar, opposite = prompts
        low = direction.confidence < self.config.confidence_threshold
        number = current.number + 1
        if result.row is None or result.projection is None:
            return WalkStep(number, "refine", attribute, neutral, exemplar, intensity, None, True,
                            direction.confidence, low, None, None, None, result.reason, "paper")
        item = self.index.items[result.row]
        self.store.add_step(tx, session, StepRow(
            number=number, kind="refine", attribute=attribute, neutral=neutral, exemplar=exemplar,
            opposite=opposite, intensity=intensity, item_id=item.id,
            position=vector_to_bytes(result.position), projection=result.projection,
            start_projection=result.start_projection, confidence=direction.confidence, low_confidence=low,
            similarity=result.similarity,
        ))
        return WalkStep(number, "refine", attribute, neutral, exemplar, intensity, item, False,
                        direction.confidence, low, result.projection,
                        result.projection - result.start_projection, result.similarity, "", "paper")

    def _another_like(self, tx, session, steps: list[StepRow]) -> WalkStep:  # type: ignore[no-untyped-def]
        current = steps[-1]
        row = self.index.row(current.item_id)
        category = self.index.items[row].category
        seen = {self.index.row_of[i] for i in self.store.seen(tx, session.id) if i in self.index.row_of}
        scores, rows = self._kind_search(vector_from_bytes(current.position), self.config.candidates, category)
        for score, r in zip(scores[0], rows[0]):
            if r >= 0 and int(r) not in seen:
                item = self.index.items[int(r)]
                self.store.add_step(tx, session, StepRow(
                    number=current.number + 1, kind="another", item_id=item.id,
                    position=vector_to_bytes(self.index.vectors[int(r)]), confidence=1.0,
                    similarity=float(score),
                ))
                return WalkStep(current.number + 1, "another", "", "", "", 1.0, item, False, 1.0, False,
                                None, None, float(score))
        return WalkStep(current.number + 1, "another", "", "", "", 1.0, None, True, 1.0, False, None, None,
                        None, "no unseen item of this kind is left")

    def _kind_search(self, query: np.ndarray, k: int, category: str | None) -> tuple[np.ndarray, np.ndarray]:
        """The `k` items of a kind nearest `query`, as `ItemIndex.search` gives them: from the
        kind's nearest lists in a big catalog (a FAISS search filtered to the kind reads every
        vector of it: ~50 ms for a kind of 400k), by FAISS up to `SEARCH_EXACT_LIMIT` items."""
        if not category or len(self.index) <= SEARCH_EXACT_LIMIT:
            return self.index.search(query, k, category=category)
        rows = structures(self.index).nearest(query, k, category)
        return (self.index.vectors[rows] @ query.astype(np.float32))[None], rows[None]

    def _state(self, tx, session_id: str, steps: list[StepRow] | None = None) -> SessionState:  # type: ignore[no-untyped-def]
        """The session's state; `steps`: its active steps when the caller read them in `tx`."""
        if steps is None:
            steps = self.store.active_steps(tx, session_id)
        seen = frozenset(self.store.seen(tx, session_id))
        walk_steps = tuple(self._as_walk_step(s) for s in steps[1:])
        if steps and steps[-1].item_id not in self.index.row_of:  # an update removed it
            return SessionState(session_id, None, walk_steps, seen, steps[-1].item_id)
        current = self.index.item(steps[-1].item_id) if steps else None
        return SessionState(session_id, current, walk_steps, seen)

    def _as_walk_step(self, s: StepRow) -> WalkStep:
        gain = None
        if s.projection is not None and s.start_projection is not None:
            gain = s.projection - s.start_projection
        row = self.index.row_of.get(s.item_id)  # None: an update removed the item
        return WalkStep(s.number, s.kind, s.attribute, s.neutral, s.exemplar, s.intensity,
                        None if row is None else self.index.items[row], False, s.confidence, s.low_confidence,
                        s.projection, gain, s.similarity)


def _plan_ops(step: StepRow) -> list[Op]:
    if not step.plan:
        return []
    return [op_from_dict(d) for d in json.loads(step.plan)["ops"]]


def _prompts(op: Op) -> list[tuple[str, str, str]]:
    return [op.prompts] if isinstance(op, (Comparative, RequireText)) else []


def _same_filter(a: Op, b: Op) -> bool:
    """True when `b` replaces the earlier filter `a` (same column, or the same text words)."""
    if isinstance(a, (Require, Exclude)) and isinstance(b, (Require, Exclude)):
        return a.column == b.column  # "in leather" and "not leather" replace each other
    if isinstance(a, Range) and isinstance(b, Range):
        return a.column == b.column
    if isinstance(a, RequireText) and isinstance(b, RequireText):
        return True
    return False


def _against(old: Op, new: Op, prepared: _Prepared, directions: dict) -> bool:  # type: ignore[type-arg]
    """True when the new critique points against an earlier one ("darker", then "lighter")."""
    if isinstance(old, NumericComparative) and isinstance(new, NumericComparative):
        return old.column == new.column and old.sign != new.sign
    if isinstance(old, Comparative) and isinstance(new, Comparative):
        if old.dimension and old.dimension == new.dimension and set(old.pole) != set(new.pole):
            return True
        if old.pole and old.counter and new.pole and new.counter and old.dimension != new.dimension:
            return False  # two named dimensions ("shorter", "more formal"): independent, whatever the encoder says
        a = prepared.directions.get(old.prompts)
        b = directions.get(new.prompts)
        if a is not None and b is not None:
            return float(a.vector @ b.vector) < -0.2
    return False


def _as_walk(step: CritiqueStep) -> WalkStep:
    """A critique step seen as a walk step (the `another` API returns walk steps)."""
    return WalkStep(step.number, "another", " + ".join(str(o.get("attribute", "")) for o in step.ops),
                    "", "", 1.0, step.item, step.end_reached, step.confidence, step.low_confidence,
                    None, None, None, step.reason)
