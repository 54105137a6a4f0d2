"""GradREC: traversal directions and steps (Chia et al., "Does it come in black? CLIP-like models
are zero-shot recommenders", ECNLP 2022, sec. 4.3), and the fixes for its sec. 5.4 limits.

Pure functions over an `ItemIndex`: no database, no chat. The session store keeps the state
these functions read and return.

Paper, eq. 1:   v(t+1) = v(t)/|v(t)| + (1 - rho) * lambda * v_c + rho * mean(kNN(v(t), k))
Direction v_c:  channel-wise SNR of the exemplar items against the neutral items' mean and
                spread, sign kept, normalised.

Beyond the paper (each switchable, for the ablation in docs/RESULTS.md):
- monotone:   the next item must lie further along v_c than the current one; when no unseen
              item does, the walk reports its end instead of returning a sideways item.
- style:      candidates (and the kNN regulariser) stay in the current item's category unless
              the exemplar's items are mostly of another category ("flats" from heels).
- confidence: a held-out (2-fold) ROC AUC of exemplar vs neutral items along the direction;
              steps under the threshold are flagged low-confidence.
- intensity:  "a bit" / "much" scale lambda and the minimum gain per step.
- memory:     earlier critiques stay satisfied (after "darker" then "shorter", still darker)
              unless a later critique points against them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from .index import ItemIndex

log = logging.getLogger(__name__)

_EPS = 1e-6
EXHAUSTIVE_LIMIT = 50_000  # categories up to this size are scanned in full before "end reached"


@dataclass(frozen=True)
class WalkConfig:
    """Everything that tunes the walk. Defaults: rho and k as in the reference implementation."""

    rho: float = 0.9  # weight of the kNN regulariser (reference: reg_weight=0.9)
    k: int = 100  # neighbours in the regulariser (reference: reg_k=100)
    step_size: float = 2.0  # lambda
    n_neutral: int = 100  # items retrieved for the neutral prompt
    n_exemplar: int = 100  # items retrieved for the exemplar prompt
    candidates: int = 256  # items scored around the new position per step
    monotone: bool = True
    # A step must clear the direction's noise: with text embeddings, smaller steps (0.75
    # spread, aiming at 1.25) made a plain "darker" no darker than chance on the sample
    # catalog (49% of first steps, against 72% with these values); the price is short walks.
    min_gain: float = 1.0  # least gain per step, in spreads of the direction (x sqrt(intensity))
    target_gain: float = 2.0  # gain per step aimed at, in spreads of the direction (x intensity)
    overshoot_penalty: float = 0.05  # score lost per spread beyond the target gain
    hold_style: bool = True
    category_switch_share: float = 0.5  # exemplar items of another kind needed to switch kinds
    confidence_threshold: float = 0.5  # below it a step is reported as low-confidence
    confidence_gate: bool = False  # refuse (end the walk) instead of only flagging low confidence
    remember_critiques: bool = True
    conflict_cosine: float = -0.2  # an earlier critique whose direction is this anti-aligned is dropped

    def paper(self) -> "WalkConfig":
        """The method exactly as published: no monotonicity, style, confidence gate or memory."""
        return replace(self, monotone=False, hold_style=False, confidence_gate=False,
                       remember_critiques=False)


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
class Constraint:
    """An earlier critique that must stay satisfied: projection on `vector` >= `floor`."""

    vector: np.ndarray
    floor: float


@dataclass(frozen=True)
class StepResult:
    row: int | None  # the chosen item's row, None when the walk reached its end
    position: np.ndarray  # v(t+1)
    projection: float | None
    start_projection: float  # the current item's projection (what "monotone" compares with)
    similarity: float | None
    end_reached: bool
    reason: str = ""  # why the walk ended, for logs and replies
    category: str | None = None  # the category candidates were taken from
    considered: int = 0


@dataclass
class WalkState:
    """What a step needs to know about where the walk stands."""

    position: np.ndarray
    current_row: int
    seen_rows: set[int] = field(default_factory=set)
    constraints: list[Constraint] = field(default_factory=list)


def next_position(index: ItemIndex, position: np.ndarray, direction: np.ndarray, step_size: float,
                  config: WalkConfig, category: str | None) -> np.ndarray:
    """Eq. 1 of the paper, with the kNN regulariser taken within `category` when set."""
    v = position / (np.linalg.norm(position) + _EPS)
    _, rows = index.search(v, config.k, category=category)
    rows = rows[0][rows[0] >= 0]
    neighbourhood = index.vectors[rows].mean(axis=0) if len(rows) else np.zeros_like(v)
    return (v + (1.0 - config.rho) * step_size * direction + config.rho * neighbourhood).astype(np.float32)


def least_gain_threshold(start_projection: float, direction: DirectionVector, config: WalkConfig,
                         intensity: float = 1.0) -> float:
    """The projection a monotone step must exceed. The least gain grows with the square root
    of intensity: half of 1 spread is within the noise of the direction ("a bit darker" came
    out darker no more often than chance)."""
    return start_projection + config.min_gain * float(np.sqrt(intensity)) * direction.spread


def step(
    index: ItemIndex,
    state: WalkState,
    direction: DirectionVector,
    config: WalkConfig,
    intensity: float = 1.0,
) -> StepResult:
    """One GradREC step from `state` along `direction`: the nearest admissible unseen item."""
    current_category = index.items[state.current_row].category
    category = None
    if config.hold_style and current_category is not None:
        category = direction.target_category or current_category
    d = direction.vector
    position = next_position(index, state.position, d, config.step_size * intensity, config, category)
    start_projection = float(index.vectors[state.current_row] @ d)
    threshold = least_gain_threshold(start_projection, direction, config, intensity)

    if config.confidence_gate and direction.confidence < config.confidence_threshold:
        return StepResult(None, state.position, None, start_projection, None, True,
                          "low confidence", category)

    constraints = keep_constraints(state.constraints, d, config) if config.remember_critiques else []

    seen = np.fromiter(state.seen_rows, dtype=np.int64, count=len(state.seen_rows))

    def admissible(rows: np.ndarray) -> np.ndarray:
        rows = rows[rows >= 0]
        rows = rows[~np.isin(rows, seen)]
        if len(rows) == 0:
            return rows
        vecs = index.vectors[rows]
        keep = np.ones(len(rows), dtype=bool)
        if config.monotone:
            keep &= vecs @ d > threshold
        for c in constraints:
            keep &= vecs @ c.vector >= c.floor
        return rows[keep]

    q = position / (np.linalg.norm(position) + _EPS)
    _, rows = index.search(q, config.candidates, category=category)
    ok = admissible(rows[0])
    considered = len(rows[0])
    if len(ok) == 0:
        # Nothing admissible near the position: before saying "end", look at every item
        # further along d (exact for up to EXHAUSTIVE_LIMIT items; beyond that, the items with
        # the largest projection on d, which is an inner-product search for d itself).
        members = index.rows_in_category(category) if category else np.arange(len(index))
        if len(members) <= EXHAUSTIVE_LIMIT:
            rows_d = members
        else:
            _, found = index.search(d, config.candidates * 4, category=category)
            rows_d = found[0]
        ok = admissible(rows_d)
        considered += len(rows_d)
    if len(ok) == 0:
        reason = "no unseen item lies further along this direction" if config.monotone else "no unseen item"
        return StepResult(None, position, None, start_projection, None, True, reason, category, considered)
    scores = _rank(index, ok, q, state.current_row, d, start_projection, direction.spread, intensity, config)
    best = int(np.argmax(scores))
    row = int(ok[best])
    return StepResult(
        row=row,
        position=position,
        projection=float(index.vectors[row] @ d),
        start_projection=start_projection,
        similarity=float(index.vectors[row] @ q),
        end_reached=False,
        category=category,
        considered=considered,
    )


def _rank(index: ItemIndex, rows: np.ndarray, q: np.ndarray, current_row: int, d: np.ndarray,
          start_projection: float, spread: float, intensity: float, config: WalkConfig) -> np.ndarray:
    """Higher is better. The paper: cosine to the new position. With style held: cosine of
    what is left of each candidate once its component along d is removed, to the same of the
    current item (everything but the asked attribute stays), less a penalty for overshooting
    the intended gain (a plain "darker" is the next shade, not the darkest one)."""
    vecs = index.vectors[rows]
    if not config.hold_style:
        return vecs @ q
    projections = vecs @ d
    residual = vecs - np.outer(projections, d)
    residual /= np.linalg.norm(residual, axis=1, keepdims=True) + _EPS
    anchor = index.vectors[current_row] - start_projection * d
    anchor /= np.linalg.norm(anchor) + _EPS
    gain = (projections - start_projection) / spread
    overshoot = np.maximum(0.0, gain - config.target_gain * intensity)
    return residual @ anchor - config.overshoot_penalty * overshoot


def keep_constraints(constraints: Sequence[Constraint], new_direction: np.ndarray,
                     config: WalkConfig) -> list[Constraint]:
    """Earlier critiques stay, except those the new one points against (the shopper changed
    their mind: "darker", then "lighter")."""
    return [c for c in constraints if float(c.vector @ new_direction) > config.conflict_cosine]
