"""Shared helpers for the benchmarks: paths, the sample index, ground truth, machine facts,
JSON results and small Markdown tables.

Every benchmark writes its numbers to docs/results/<name>.json; `benchmarks/run_all.py`
turns those files into docs/RESULTS.md (so the report can be rebuilt without re-running).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as `python benchmarks/x.py` as well as `-m benchmarks.x`
    sys.path.insert(0, str(REPO))

DOCS = REPO / "docs"
RESULTS = DOCS / "results"
DEFAULT_INDEX = REPO / "var" / "index" / "sample"
VAR_BENCH = REPO / "var" / "bench"

NUMERIC = ("lightness", "length", "sleeve_length", "heel_cm", "formality")
CATEGORICAL = ("kind", "hue_family", "fit", "material", "pattern")


# --------------------------------------------------------------------------- ground truth

def gt(item: Any, attribute: str) -> Any:
    """An item's ground-truth value: float for the numeric columns, str otherwise, None when
    the column does not apply ("" in the catalog). `kind` is the item's category."""
    if attribute == "kind":
        return item.category
    value = item.metadata.get(attribute, "")
    if value in ("", None):
        return None
    if attribute in NUMERIC:
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return value


# --------------------------------------------------------------------------- engine

class Sample:
    """The sample index and one encoder, shared by every engine a benchmark makes."""

    def __init__(self, index_dir: str | Path = DEFAULT_INDEX) -> None:
        from gradrec_core import load_index
        from gradrec_core.encoders import MINILM_HUB_ID, get_encoder

        index_dir = Path(index_dir)
        if not (index_dir / "manifest.json").is_file():
            raise SystemExit(f"{index_dir}: no index; run `make index` first")
        self.index = load_index(index_dir)
        name, model = self.index.manifest["encoder"], self.index.manifest.get("model")
        self.encoder = get_encoder(name, None if model == MINILM_HUB_ID else model)

    def engine(self, config: Any = None) -> Any:
        """A fresh engine (own in-memory store, so no direction is shared across configs)."""
        from gradrec_core import Engine, SessionStore, WalkConfig

        return Engine(self.index, SessionStore("sqlite:///:memory:"), config or WalkConfig(), self.encoder)


def configs() -> dict[str, tuple[Any, bool]]:
    """The rows walked by `Engine.refine`: name -> (WalkConfig, use the opposite prompt). The
    paper's rows take the paper's step (`WalkConfig().paper()`); the engine's rows the graded
    step, the engine itself."""
    from gradrec_core import WalkConfig

    paper = WalkConfig().paper()
    return {
        "paper": (paper, False),
        "paper + opposite prompt": (paper, True),
        "engine defaults (no opposite)": (WalkConfig(), False),
        "full engine (defaults + opposite)": (WalkConfig(), True),
    }


# --------------------------------------------------------------------------- machine & timing

def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict[str, Any]:
    cpuinfo = _read("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = _read("/proc/meminfo")
    total_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    import faiss
    import torch

    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    return {
        "cpu": models[0] if models else platform.processor() or "unknown",
        "logical_cpus": len(models) or os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "avx512": "avx512f" in flags,
        "ram_gib": round(total_kb / 1024 ** 2, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "faiss": faiss.__version__,
        "faiss_threads": faiss.omp_get_max_threads(),
        "numpy": np.__version__,
        "kernel": platform.release(),
    }


def loadavg() -> float:
    try:
        return float(_read("/proc/loadavg").split()[0])
    except (IndexError, ValueError):
        return float("nan")


def rss_mb() -> float:
    """Resident memory of this process now (VmRSS), MiB."""
    for line in _read("/proc/self/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000.0, q)) if len(seconds) else float("nan")


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.started_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        self.load_start = loadavg()

    def stamp(self) -> dict[str, Any]:
        return {"started": self.started_at, "seconds": round(time.perf_counter() - self.started, 1),
                "load_start": self.load_start, "load_end": loadavg()}


# --------------------------------------------------------------------------- results

def _results_dir(name: str) -> Path:
    """Full runs' results go to docs/results/, quick (smoke) runs' to var/bench/."""
    return VAR_BENCH if name.endswith("_quick") else RESULTS


def save(name: str, data: dict[str, Any]) -> Path:
    folder = _results_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=_jsonable) + "\n")
    tmp.replace(path)
    return path


def load(name: str) -> dict[str, Any] | None:
    path = _results_dir(name) / f"{name}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _jsonable(x: Any) -> Any:
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON: {type(x).__name__}")


def fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    if isinstance(x, (float, np.floating)):
        if np.isnan(x):
            return "–"
        return f"{x:,.{digits}f}"
    return str(x)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], digits: int = 2) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(fmt(c, digits) for c in row) + " |")
    return "\n".join(out)


def progress(iterable: Iterable[Any] | None = None, **kwargs: Any) -> Any:
    from tqdm.auto import tqdm

    kwargs.setdefault("leave", False)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kwargs)
