"""`gradrec`: index a catalog, walk it, and the two baselines (similar items, text search).

Bad input exits with status 2 and one line on stderr naming what is wrong and where.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from .encoders import BACKENDS, DEFAULT_BACKEND
from .types import GradrecError

log = logging.getLogger("gradrec_core")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gradrec", description="GradREC comparative recommendations over a catalog.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress and timings")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ix = sub.add_parser("index", help="embed a catalog and write an index folder")
    ix.add_argument("catalog", help="a .csv or .jsonl file")
    ix.add_argument("--out", required=True, help="the index folder to write")
    ix.add_argument("--id-column", default="id")
    ix.add_argument("--text-columns", help="comma-separated columns joined into the item text "
                    "(default: 'text', else 'name,description')")
    ix.add_argument("--category-column", help="the kind column (default: the finest column named like "
                    "category / type / kind / article, e.g. articleType over subCategory)")
    ix.add_argument("--image-column")
    ix.add_argument("--encoder", choices=["minilm", "clip"], default="minilm")
    ix.add_argument("--model", help="hub id or local folder (clip: default patrickjohncyh/fashion-clip)")
    ix.add_argument("--backend", choices=list(BACKENDS),
                    help="minilm only: torch (the float model), onnx (the same model in ONNX Runtime, made once "
                    "from the bundled weights: the same vectors, faster), openvino (that model compiled by "
                    "OpenVINO: bfloat16 on CPUs that have it, the float model's neighbours, faster still) or "
                    "onnx-int8 (int8 weights: top-10 neighbours differ; docs/RESULTS.md). Default: the "
                    f"existing index's backend, {DEFAULT_BACKEND} for a new one; shoppers' words are embedded "
                    "by the index's backend")
    ix.add_argument("--index-type", choices=["flat", "hnsw"], default="flat",
                    help="flat = exact (default); hnsw = approximate, for large catalogs")
    ix.add_argument("--numeric-columns", help="comma-separated numeric columns for structured critiques "
                    "(\"cheaper\", \"under 50\"); default: columns named like a price")
    ix.add_argument("--price-column", help="the numeric column holding prices (\"cheaper\", \"under 50\", "
                    "\"how much is it?\"); default: the first numeric column named like a price (price, cost, "
                    "msrp, usd, eur, ...). Without one the assistant says it has no prices")
    ix.add_argument("--attribute-columns", help="comma-separated categorical columns (\"in black\", "
                    "\"what colours does it come in?\"); default: inferred (short values, few distinct)")
    ix.add_argument("--name-column", help="the item's display name (default: the first text column)")
    ix.add_argument("--swatch-column", help="each item's colour as hex (#1f3a93): shade and colour critiques "
                    "are measured on it (default: a column whose every value is a hex colour, if any)")
    ix.add_argument("--brand-column", help="the brand column (default: a column named like brand / "
                    "manufacturer, else brands learnt from the product names' first words)")
    ix.add_argument("--vectors", metavar="FILE.npy", help="take the items' vectors from this file (float32, "
                    "one row per catalog row, in file order: embeddings you already have) instead of embedding "
                    "them; --encoder/--model name the model that made them, which embeds shoppers' words")
    ix.add_argument("--lenient", action="store_true", help="skip bad rows (counted and listed) instead of failing")
    ix.add_argument("--force", action="store_true", help="rebuild even if the folder is up to date")

    def seeds(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--index", required=True, help="an index folder written by `gradrec index`")
        g = sp.add_mutually_exclusive_group(required=True)
        g.add_argument("--seed", help="the seed item id")
        g.add_argument("--seeds-file", help="a file with one seed item id per line")
        sp.add_argument("--json", action="store_true", help="one JSON object per seed per line")

    wk = sub.add_parser("walk", help="walk from a seed item along neutral -> exemplar, step by step (the "
                        "engine's graded step, as the chat's \"darker\")")
    seeds(wk)
    wk.add_argument("--neutral", required=True, help='e.g. "blue polo shirt"')
    wk.add_argument("--exemplar", required=True, help='e.g. "dark blue polo shirt"')
    wk.add_argument("--opposite", default="",
                    help='contrast the exemplar with this prompt instead of the neutral, e.g. "light blue polo shirt"')
    wk.add_argument("--steps", type=int, default=5)
    wk.add_argument("--intensity", type=float, default=1.0, help="0.5 'a bit', 1 plain, 2 'much'")
    wk.add_argument("--step-size", type=float, help="with --paper: lambda (default from WalkConfig)")
    wk.add_argument("--paper", action="store_true",
                    help="the paper's walk as published (eq. 1, the nearest unseen item): the baseline")

    sm = sub.add_parser("similar", help="nearest neighbours of a seed (the paper's baseline)")
    seeds(sm)
    sm.add_argument("--k", type=int, default=10)

    cq = sub.add_parser("critique", help="apply what a shopper says to a seed item, turn by turn "
                        "(the chat's planner, without Rasa)")
    cq.add_argument("--index", required=True, help="an index folder written by `gradrec index`")
    g = cq.add_mutually_exclusive_group(required=True)
    g.add_argument("--seed", help="the seed item id")
    g.add_argument("--seeds-file", help="a file with one seed item id per line")
    cq.add_argument("--json", action="store_true", help="one JSON object per seed per line")
    cq.add_argument("utterances", nargs="+", metavar="UTTERANCE", help='e.g. "darker" "in black" "cheaper"')

    se = sub.add_parser("search", help="zero-shot retrieval for a text query")
    se.add_argument("--index", required=True)
    se.add_argument("--query", required=True)
    se.add_argument("--k", type=int, default=10)
    se.add_argument("--json", action="store_true")
    return p


def _read_seeds(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(seed id, where it came from) pairs; the origin names the file and line for errors."""
    if args.seed is not None:
        return [(args.seed, "--seed")]
    path = Path(args.seeds_file)
    if not path.is_file():
        raise GradrecError(f"{path}: seeds file not found")
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise GradrecError(f"{path}: undecodable bytes (not UTF-8) at byte {err.start}") from None
    for number, line in enumerate(lines, start=1):
        seed = line.strip()
        if seed and not seed.startswith("#"):
            out.append((seed, f"{path}: line {number}"))
    if not out:
        raise GradrecError(f"{path}: no seed ids in the file")
    return out


def _check_seeds(engine, seeds: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    for seed, origin in seeds:
        if seed not in engine.index.row_of:
            raise GradrecError(f"{origin}: unknown item id '{seed}' (not in {engine.index.manifest.get('count')} indexed items)")


def _describe(item) -> str:  # type: ignore[no-untyped-def]
    name = item.metadata.get("name") or item.text[:60]
    return f"{item.id:<16} {item.category or '':<12} {name}"


def _columns(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(c.strip() for c in value.split(",") if c.strip())


def _cmd_index(args: argparse.Namespace) -> int:
    from .catalog import CatalogSpec
    from .index import IndexConfig
    from .indexing import index_catalog

    spec = CatalogSpec(
        id_column=args.id_column,
        text_columns=tuple(c.strip() for c in args.text_columns.split(",") if c.strip()) if args.text_columns else None,
        category_column=args.category_column,
        image_column=args.image_column,
        lenient=args.lenient,
        numeric_columns=_columns(args.numeric_columns),
        attribute_columns=_columns(args.attribute_columns),
        name_column=args.name_column,
        swatch_column=args.swatch_column,
        price_column=args.price_column,
        brand_column=args.brand_column,
    )
    report = index_catalog(args.catalog, args.out, spec, args.encoder, args.model,
                           IndexConfig(type=args.index_type), force=args.force, vectors_path=args.vectors,
                           backend=args.backend if args.encoder == "minilm" else None)
    print(report.columns)
    for reason, lines in sorted(report.skipped.items()):
        shown = ", ".join(map(str, lines[:20])) + (" ..." if len(lines) > 20 else "")
        print(f"skipped {len(lines)} rows ({reason}): lines {shown}")
    if report.rebuilt and report.supplied:
        note = f"; {report.normalised} rows scaled to unit norm" if report.normalised else ""
        print(f"indexed {report.items} items into {report.out_dir} from {args.vectors} in "
              f"{report.seconds:.1f}s{note}")
    elif report.rebuilt:
        speed = f" at {report.items_per_second:.0f} items/s" if report.items_per_second else ""
        kept = f", {report.reused} kept from the previous version" if report.reused else ""
        print(f"indexed {report.items} items into {report.out_dir} in {report.seconds:.1f}s "
              f"({report.embedded} embedded{speed}{kept})")
    else:
        print(f"{report.out_dir} is up to date ({report.items} items); nothing to do")
    return 0


def _cmd_walk(args: argparse.Namespace) -> int:
    from .engine import Engine
    from .walk import WalkConfig

    if args.steps < 1:
        raise GradrecError(f"--steps must be at least 1, not {args.steps}")
    if not args.intensity > 0:
        raise GradrecError(f"--intensity must be positive, not {args.intensity}")
    config = WalkConfig()
    if args.step_size is not None and not args.paper:
        raise GradrecError("--step-size is the paper walk's lambda: give it with --paper")
    if args.step_size is not None:
        config = replace(config, step_size=args.step_size)
    if args.paper:
        config = config.paper()
    engine = Engine.open(args.index, config=config)
    seeds = _read_seeds(args)
    _check_seeds(engine, seeds)
    if not args.neutral.strip() or not args.exemplar.strip():
        raise GradrecError("--neutral and --exemplar must not be empty")
    direction = engine.direction(args.neutral, args.exemplar, args.opposite)
    for seed, _ in seeds:
        session = f"cli-{uuid.uuid4().hex}"
        engine.start(session, seed)
        steps = []
        for _ in range(args.steps):
            s = engine.refine(session, args.neutral, args.exemplar, args.intensity,
                              attribute=args.exemplar, opposite=args.opposite)
            steps.append(s)
            if s.end_reached:
                break
        engine.reset(session)
        items = [s.item.id for s in steps if s.item]
        end = bool(steps and steps[-1].end_reached)
        if args.json:
            print(json.dumps({
                "seed": seed, "items": items, "neutral": args.neutral, "exemplar": args.exemplar,
                "opposite": args.opposite,
                "confidence": round(direction.confidence, 4), "auc": round(direction.auc, 4),
                "low_confidence": direction.confidence < config.confidence_threshold,
                "end_reached": end, "end_reason": steps[-1].end_reason if end else "",
                "axis": steps[0].axis,
                "projections": [round(s.projection, 5) for s in steps if s.projection is not None],
                "similarities": [round(s.similarity, 5) for s in steps if s.similarity is not None],
            }), flush=True)
        else:
            print(f"seed  {_describe(engine.item(seed))}")
            for s in steps:
                if s.item:
                    print(f"{s.number:>4}  {_describe(s.item)}  ({s.gain or 0:+.3f} along, sim {s.similarity or 0:.3f})")
            if end:
                print(f"      end reached: {steps[-1].end_reason}")
            flag = "  LOW" if direction.confidence < config.confidence_threshold else ""
            print(f"measured on {steps[0].axis}; direction confidence {direction.confidence:.2f} "
                  f"(held-out AUC {direction.auc:.3f}){flag}\n")
    return 0


def _cmd_similar(args: argparse.Namespace) -> int:
    from .engine import Engine

    engine = Engine.open(args.index)
    seeds = _read_seeds(args)
    _check_seeds(engine, seeds)
    for seed, _ in seeds:
        found = engine.similar(seed, args.k)
        if args.json:
            print(json.dumps({"seed": seed, "items": [s.item.id for s in found],
                              "scores": [round(s.score, 5) for s in found]}), flush=True)
        else:
            print(f"seed  {_describe(engine.item(seed))}")
            for rank, s in enumerate(found, start=1):
                print(f"{rank:>4}  {_describe(s.item)}  {s.score:.3f}")
            print()
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from .engine import Engine

    if not args.query.strip():
        raise GradrecError("--query is empty")
    engine = Engine.open(args.index)
    found = engine.search(args.query, args.k)
    if args.json:
        print(json.dumps({"query": args.query, "items": [s.item.id for s in found],
                          "scores": [round(s.score, 5) for s in found]}))
    else:
        for rank, s in enumerate(found, start=1):
            print(f"{rank:>4}  {_describe(s.item)}  {s.score:.3f}")
    return 0


def _cmd_critique(args: argparse.Namespace) -> int:
    from .critique import take_turn
    from .engine import Engine

    utterances = [u for u in args.utterances]
    for position, u in enumerate(utterances, start=1):
        if not u.strip():
            raise GradrecError(f"utterance {position} is empty")
    seeds = _read_seeds(args)
    engine = Engine.open(args.index)  # sessions in memory: a fresh one per seed
    _check_seeds(engine, seeds)
    for seed, _ in seeds:
        session = f"critique:{seed}"
        engine.start(session, seed)
        turns = []
        for u in utterances:
            turn = take_turn(engine, session, u)
            turns.append(turn.to_dict(u))
        if args.json:
            print(json.dumps({"seed": seed, "turns": turns}, ensure_ascii=False))
        else:
            print(f"seed  {_describe(engine.item(seed))}")
            for t in turns:
                shown = _describe(engine.item(t["item"])) if t["item"] else "-"
                print(f"  > {t['text']}\n    {t['answer']}\n    {shown}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    handlers = {"index": _cmd_index, "walk": _cmd_walk, "similar": _cmd_similar, "search": _cmd_search,
                "critique": _cmd_critique}
    try:
        return handlers[args.command](args)
    except GradrecError as err:
        sys.stderr.write(f"gradrec {args.command}: error: {err}\n")
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
