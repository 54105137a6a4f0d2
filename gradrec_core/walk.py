"""GradREC as published (Chia et al., "Does it come in black? CLIP-like models are zero-shot
recommenders", ECNLP 2022, sec. 4.3): the traversal direction, which the engine uses, and the
paper's walk, which is only the baseline the benchmarks compare the engine against.

Pure functions over an `ItemIndex`: no database, no chat.

Direction v_c:  channel-wise SNR of the exemplar items against the neutral items' mean and
                spread, sign kept, normalised; with an `opposite` prompt, against the
                opposite's items. Its confidence is a held-out (2-fold) ROC AUC of exemplar vs
                neutral items along it.
Paper, eq. 1:   v(t+1) = v(t)/|v(t)| + (1 - rho) * lambda * v_c + rho * mean(kNN(v(t), k)),
                and the answer is the nearest unseen item to v(t+1) (`paper_step`).

The engine's step is not here: `Engine.refine` and `Engine.apply` run the graded step
(`graded.py`, docs/engine.md "What a step does"); `WalkConfig().paper()` makes `Engine.refine`
run `paper_step` instead, for the benchmarks' baseline (`gradrec walk --paper`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from .index import ItemIndex

_EPS = 1e-6


@dataclass(frozen=True)
class WalkConfig:
    """The direction's and the paper walk's parameters. rho and k as in the reference
    implementation; `published`: `Engine.refine` runs the paper's walk (the baseline)."""

    rho: float = 0.9  # weight of the kNN regulariser (reference: reg_weight=0.9)
    k: int = 100  # neighbours in the regulariser (reference: reg_k=100)
    step_size: float = 2.0  # lambda
    n_neutral: int = 100  # items retrieved for the neutral prompt
    n_exemplar: int = 100  # items retrieved for the exemplar prompt
    candidates: int = 256  # items searched around a position ("another" like this, the paper's step)
    category_switch_share: float = 0.5  # exemplar items of another kind needed to switch kinds
    confidence_threshold: float = 0.5  # below it a step is reported as low-confidence
    remember_critiques: bool = True  # earlier comparatives stay satisfied (the graded step's floors)
    published: bool = False  # `Engine.refine` takes the paper's step (eq. 1) instead of the graded one

    def paper(self) -> "WalkConfig":
        """The method exactly as published: eq. 1, the nearest unseen item anywhere, no memory."""
        return replace(self, published=True, remember_critiques=False)


@dataclass(frozen=True)
class DirectionVector:
    vector: np.ndarray  # float32 unit vector
    confidence: float
    auc: float
    neutral_rows: np.ndarray
    exemplar_rows: np.ndarray
    target_category: str | None
    spread: float  # std of the retrieved items' projections: the unit of a step's gain


def projection_spread(index: ItemIndex, vector: np.ndarray, exemplar_rows: np.ndarray,
                      population_rows: np.ndarray) -> float:
    """The unit of a step's gain: the pooled within-set spread of the two item sets' projections
    (how far apart items of one set already lie along the direction; the noise level)."""
    if len(exemplar_rows) < 2 or len(population_rows) < 2:
        return 1.0
    e = index.vectors[exemplar_rows] @ vector
    p = index.vectors[population_rows] @ vector
    return float(np.sqrt((e.var() + p.var()) / 2.0)) + _EPS


def snr_direction(exemplar: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """Channel-wise signal-to-noise ratio of exemplar vectors against the neutral population,
    sign kept, L2-normalised (GradREC sec. 4.3, after Wu et al. 2021's channel importance).

    Each exemplar is standardised by the neutral mean and spread; a channel's SNR is the mean
    of those deltas over their spread."""
    mu = neutral.mean(axis=0)
    sd = neutral.std(axis=0) + _EPS
    deltas = (exemplar - mu) / sd
    theta = deltas.mean(axis=0) / (deltas.std(axis=0) + _EPS)
    norm = float(np.linalg.norm(theta))
    if norm < _EPS:
        return np.zeros_like(theta, dtype=np.float32)
    return (theta / norm).astype(np.float32)


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half (Mann-Whitney U)."""
    if len(positive) == 0 or len(negative) == 0:
        return 0.5
    diff = positive[:, None] - negative[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def held_out_auc(exemplar: np.ndarray, neutral: np.ndarray,
                 exemplar_only: np.ndarray | None = None, neutral_only: np.ndarray | None = None) -> float:
    """How well the direction separates exemplar from neutral items on items it was not built
    from: build on even ranks, score odd ranks, and the other way round; mean AUC.

    In-sample separation is meaningless here: with 100 items in 384+ dimensions an SNR
    direction separates almost any two sets. Items retrieved for both prompts belong to
    neither side, so only items retrieved for one prompt alone are scored (the masks); when
    the prompts retrieve (almost) the same items there is nothing to separate: AUC 0.5."""
    if exemplar_only is None:
        exemplar_only = np.ones(len(exemplar), dtype=bool)
    if neutral_only is None:
        neutral_only = np.ones(len(neutral), dtype=bool)
    aucs = []
    for fold in (0, 1):
        e_fit, n_fit = exemplar[fold::2], neutral[fold::2]
        e_test = exemplar[1 - fold::2][exemplar_only[1 - fold::2]]
        n_test = neutral[1 - fold::2][neutral_only[1 - fold::2]]
        if len(e_fit) < 2 or len(n_fit) < 2 or len(e_test) < 2 or len(n_test) < 2:
            aucs.append(0.5)
            continue
        d = snr_direction(e_fit, n_fit)
        aucs.append(_auc(e_test @ d, n_test @ d))
    return float(np.mean(aucs))


def build_direction(
    index: ItemIndex, neutral_query: np.ndarray, exemplar_query: np.ndarray, config: WalkConfig,
    opposite_query: np.ndarray | None = None,
    search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]] | None = None,
) -> DirectionVector:
    """Retrieve items for each prompt (zero-shot) and turn the sets into a direction.
    `search`: how the prompts' items are found (default `index.search`, exact for a flat index).

    The paper contrasts the exemplar's items with the neutral's. With an `opposite` prompt
    ("long skirt" against "short skirt") the exemplar's items are contrasted with the
    opposite's instead: text encoders place antonyms close together, so "skirt" -> "long
    skirt" alone can point the wrong way, and a bipolar contrast cancels that shared part."""
    search = search or index.search
    _, n_rows = search(neutral_query, config.n_neutral)
    _, e_rows = search(exemplar_query, config.n_exemplar)
    n_rows = n_rows[0][n_rows[0] >= 0]
    e_rows = e_rows[0][e_rows[0] >= 0]
    if opposite_query is not None:
        _, p_rows = search(opposite_query, config.n_neutral)
        population_rows = p_rows[0][p_rows[0] >= 0]
    else:
        population_rows = n_rows
    population = index.vectors[population_rows]
    exemplar = index.vectors[e_rows]
    vector = snr_direction(exemplar, population)
    auc = held_out_auc(exemplar, population, ~np.isin(e_rows, population_rows),
                       ~np.isin(population_rows, e_rows))
    confidence = float(np.clip(2.0 * auc - 1.0, 0.0, 1.0))
    return DirectionVector(
        vector=vector,
        confidence=confidence,
        auc=auc,
        neutral_rows=population_rows,
        exemplar_rows=e_rows,
        target_category=_target_category(index, n_rows, e_rows, config.category_switch_share),
        spread=projection_spread(index, vector, e_rows, population_rows),
    )


def _majority(index: ItemIndex, rows: np.ndarray) -> tuple[str | None, float]:
    if len(rows) == 0:
        return None, 0.0
    codes, counts = np.unique(index.category_codes[rows], return_counts=True)
    best = int(np.argmax(counts))
    name = index.category_names[int(codes[best])] or None
    return name, float(counts[best] / len(rows))


def _target_category(index: ItemIndex, n_rows: np.ndarray, e_rows: np.ndarray, share: float) -> str | None:
    """The kind the exemplar names, when it is not the neutral's (e.g. "flat shoes" vs "heels")."""
    neutral_kind, _ = _majority(index, n_rows)
    exemplar_kind, exemplar_share = _majority(index, e_rows)
    if exemplar_kind and exemplar_kind != neutral_kind and exemplar_share >= share:
        return exemplar_kind
    return None


@dataclass(frozen=True)
class StepResult:
    row: int | None  # the chosen item's row, None when no unseen item was found
    position: np.ndarray  # v(t+1)
    projection: float | None  # the item's projection on the direction
    start_projection: float  # the current item's
    similarity: float | None  # cosine between the item and v(t+1)
    reason: str = ""  # why there is no item


@dataclass
class WalkState:
    """Where the paper's walk stands: its position, the current item and the items seen."""

    position: np.ndarray
    current_row: int
    seen_rows: set[int] = field(default_factory=set)


def next_position(index: ItemIndex, position: np.ndarray, direction: np.ndarray, step_size: float,
                  config: WalkConfig) -> np.ndarray:
    """Eq. 1 of the paper: the regulariser's neighbours taken over the whole catalog."""
    v = position / (np.linalg.norm(position) + _EPS)
    _, rows = index.search(v, config.k)
    rows = rows[0][rows[0] >= 0]
    neighbourhood = index.vectors[rows].mean(axis=0) if len(rows) else np.zeros_like(v)
    return (v + (1.0 - config.rho) * step_size * direction + config.rho * neighbourhood).astype(np.float32)


def paper_step(index: ItemIndex, state: WalkState, direction: DirectionVector, config: WalkConfig,
               intensity: float = 1.0) -> StepResult:
    """One step of the paper's walk: eq. 1 (lambda scaled by `intensity`), then the nearest
    unseen item to the new position, of any kind, wherever it lies along the direction."""
    d = direction.vector
    position = next_position(index, state.position, d, config.step_size * intensity, config)
    start_projection = float(index.vectors[state.current_row] @ d)
    q = position / (np.linalg.norm(position) + _EPS)
    seen = np.fromiter(state.seen_rows, dtype=np.int64, count=len(state.seen_rows))
    _, rows = index.search(q, config.candidates + len(seen))
    rows = rows[0][rows[0] >= 0]
    rows = rows[~np.isin(rows, seen)]
    if len(rows) == 0:
        return StepResult(None, position, None, start_projection, None, "no unseen item")
    row = int(rows[0])
    return StepResult(row, position, float(index.vectors[row] @ d), start_projection,
                      float(index.vectors[row] @ q))
