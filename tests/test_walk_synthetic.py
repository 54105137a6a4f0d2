"""The walk's mechanics on a synthetic space whose ground truth is known by construction.

Axes 0..3 say the kind (polo, skirt, heels, flats), axes 8-9 "darkness", 10-11 "length",
the rest small noise. Prompts map to the obvious points. These tests pin the mechanics
of `Engine.refine` (the graded step on the prompts' text direction: SNR direction, a walk that
goes further each step, end of walk, style, memory, undo, restart) and the paper's walk as the baseline;
the semantic claims on real text embeddings are in test_walk_semantic.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthetic import build_space, make_engine, seed_near

from gradrec_core import SessionError
from gradrec_core.walk import held_out_auc, snr_direction


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_space(tmp_path_factory.mktemp("space") / "index")


def test_snr_direction_points_from_neutral_to_exemplar() -> None:
    rng = np.random.default_rng(0)
    neutral = rng.normal(0, 1, (200, 8))
    exemplar = rng.normal(0, 1, (100, 8))
    exemplar[:, 3] += 2.0  # exemplars differ in channel 3, upward
    exemplar[:, 5] -= 1.0  # and in channel 5, downward: the sign is kept
    d = snr_direction(exemplar, neutral)
    assert abs(np.linalg.norm(d) - 1) < 1e-5
    assert np.argmax(d) == 3 and np.argmin(d) == 5 and d[5] < 0
    assert held_out_auc(exemplar, neutral) > 0.9
    assert abs(held_out_auc(rng.normal(0, 1, (100, 8)), neutral) - 0.5) < 0.12


def test_darker_walk_gets_darker_and_stays_polo(space: Path) -> None:
    engine = make_engine(space)
    seed = seed_near(engine, "polo", 0.2)
    engine.start("s", seed)
    darks = [engine.item(seed).metadata["dark"]]
    for _ in range(20):
        s = engine.refine("s", "polo", "dark polo")
        if s.end_reached:
            break
        assert s.item is not None and s.item.category == "polo"
        assert s.gain is not None and s.gain > 0
        darks.append(s.item.metadata["dark"])
    assert s.end_reached, "the walk should reach the darkest polos and say so"
    assert len(darks) >= 4 and darks[-1] > 0.9, darks
    # each step is further along the text direction (gain > 0, above); the direction is built
    # from retrieved items, so it carries a little of other attributes: the true darkness rises
    # along the walk as a whole (rank correlation with the step number), not at every step
    ranks = np.argsort(np.argsort(darks))
    assert np.corrcoef(ranks, np.arange(len(darks)))[0, 1] > 0.8, darks
    assert all(b > a for a, b in zip(darks[:4], darks[1:4])), darks  # the first steps: plainly darker
    assert engine.direction("polo", "dark polo").confidence > 0.8


def test_end_of_walk_is_reported_not_a_sideways_item(space: Path) -> None:
    engine = make_engine(space)
    darkest = max((i for i in engine.index.items if i.category == "polo"), key=lambda i: i.metadata["dark"])
    engine.start("s", darkest.id)
    s = engine.refine("s", "polo", "dark polo")
    assert s.end_reached and s.item is None
    assert engine.state("s").current.id == darkest.id  # nothing moved
    # the paper's method has no such notion and returns some other item
    paper = make_engine(space, paper=True)
    paper.start("p", darkest.id)
    assert paper.refine("p", "polo", "dark polo").item is not None


def test_exemplar_naming_another_kind_switches_kind(space: Path) -> None:
    engine = make_engine(space)
    engine.start("s", seed_near(engine, "heels", 0.5))
    assert engine.direction("heels", "flats").target_category == "flats"
    assert engine.refine("s", "heels", "flats").item.category == "flats"
    assert engine.direction("polo", "dark polo").target_category is None


def test_critiques_accumulate_until_contradicted(space: Path) -> None:
    engine = make_engine(space)
    seed = seed_near(engine, "skirt", 0.5)
    engine.start("s", seed)
    first = engine.refine("s", "skirt", "dark skirt").item  # darker
    assert first.category == "skirt"
    darker = engine.direction("skirt", "dark skirt").vector
    seed_projection = float(engine.index.vectors[engine.index.row(seed)] @ darker)
    longs = [engine.item(seed).metadata["long"]]
    for _ in range(4):
        s = engine.refine("s", "skirt", "long skirt")
        if s.end_reached:
            break
        longs.append(s.item.metadata["long"])
        # still darker than the seed, along the direction "darker" was walked on
        assert float(engine.index.vectors[engine.index.row(s.item.id)] @ darker) > seed_projection
    assert len(longs) >= 3 and longs[-1] > longs[0]
    # "lighter" points against "darker": the earlier critique no longer binds
    light = engine.refine("s", "skirt", "light skirt")
    assert light.item is not None


def test_another_undo_reset_and_errors(space: Path) -> None:
    engine = make_engine(space)
    with pytest.raises(SessionError, match="no session 'x'"):
        engine.refine("x", "polo", "dark polo")
    seed = seed_near(engine, "polo", 0.3)
    engine.start("s", seed)
    with pytest.raises(SessionError, match="nothing to undo"):
        engine.undo("s")
    first = engine.refine("s", "polo", "dark polo").item
    alt = engine.another("s").item
    assert alt is not None and alt.id not in (seed, first.id)
    assert alt.metadata["dark"] > engine.item(seed).metadata["dark"]  # same step, same constraint
    assert engine.undo("s").current.id == first.id
    assert engine.undo("s").current.id == seed
    again = engine.refine("s", "polo", "dark polo").item
    assert again.id not in (first.id, alt.id)  # undone items stay seen
    state = engine.state("s")
    assert state.seen >= {seed, first.id, alt.id, again.id}
    engine.reset("s")
    assert engine.state("s") is None
    with pytest.raises(SessionError, match="same"):
        engine.refine("s", "polo", "polo")


def test_restart_continues_exactly(space: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'sessions.db'}"
    reference = make_engine(space)
    a = make_engine(space, db)
    seed = seed_near(a, "polo", 0.0)
    for e in (reference, a):
        e.start("s", seed)
        e.refine("s", "polo", "dark polo")
        e.refine("s", "polo", "dark polo")
    del a  # the process "dies"
    b = make_engine(space, db)
    after = []
    for _ in range(3):
        mine, theirs = b.refine("s", "polo", "dark polo"), reference.refine("s", "polo", "dark polo")
        after.append(mine.item.id if mine.item else None)
        assert after[-1] == (theirs.item.id if theirs.item else None)
    assert after[0] is not None


def test_a_meaningless_direction_is_flagged_low_confidence(space: Path) -> None:
    engine = make_engine(space)
    engine.start("s", seed_near(engine, "polo", 0.5))
    d = engine.direction("random a", "random b")
    assert d.confidence < 0.5
    s = engine.refine("s", "random a", "random b")
    assert s.axis == "text" and s.low_confidence and s.confidence == d.confidence


def test_another_falls_back_to_a_similar_item_when_the_step_has_no_other_answer(space: Path) -> None:
    engine = make_engine(space)
    second_darkest = sorted((i for i in engine.index.items if i.category == "polo"),
                            key=lambda i: i.metadata["dark"])[-2]
    engine.start("s", second_darkest.id)
    last = engine.refine("s", "polo", "dark polo").item  # the darkest: no alternative exists
    assert last is not None
    alt = engine.another("s")
    assert alt.item is not None and alt.item.category == "polo"
    assert alt.item.id not in (second_darkest.id, last.id)


def test_refine_prompts_name_the_axis_only_through_the_lexicon() -> None:
    from gradrec_core.ops import prompt_comparative

    dark = prompt_comparative("blue polo shirt", "dark blue polo shirt", "light blue polo shirt")
    assert (dark.dimension, dark.pole[0], dark.counter[0]) == ("shade", "dark", "light")
    light = prompt_comparative("skirt", "skirt", "mini skirt")  # only the opposite names an end
    assert (light.dimension, light.pole[0]) == ("length", "long")
    sleeves = prompt_comparative("polo shirt", "long-sleeved polo shirt", "short-sleeved polo shirt")
    assert (sleeves.dimension, sleeves.pole[0], sleeves.noun) == ("length", "long", "sleeve")
    green = prompt_comparative("polo shirt", "green polo shirt")  # one new word: its own end
    assert (green.dimension, green.pole, green.counter) == ("green", ("green",), ())
    story = prompt_comparative("blue polo shirt", "blue polo shirt with a story")  # no end: the text direction
    assert (story.dimension, story.pole, story.counter) == ("", (), ())
