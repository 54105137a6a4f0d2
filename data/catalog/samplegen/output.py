"""Writing the sample catalog: ``items.csv`` and the images, atomically, rendered in parallel."""

import os
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from .render import render_image
from .rows import DEFAULT_SEED, generate, limit_rows, rows_to_csv


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _render_rows(rows: Sequence[dict[str, str]], out: Path, report: Callable[[object], None]) -> None:
    for r in rows:
        _atomic_write(out / r["image"], render_image(r))
        report(1)


def _render_worker(rows: Sequence[dict[str, str]], out: Path, q: "object") -> None:
    try:
        _render_rows(rows, out, q.put)  # type: ignore[attr-defined]
    except BaseException as e:  # report, then let the process fail
        q.put(f"{type(e).__name__}: {e}")  # type: ignore[attr-defined]
        raise


def _render_parallel(rows: Sequence[dict[str, str]], out: Path, workers: int, bar: "object") -> None:
    """Render with forked worker processes (nothing is pickled but progress ticks, so this works
    even when the module was loaded by path). Output does not depend on the number of workers."""
    import multiprocessing as mp
    import queue

    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_render_worker, args=(rows[i::workers], out, q), daemon=True)
             for i in range(workers)]
    for p in procs:
        p.start()
    try:
        done = 0
        while done < len(rows):
            try:
                msg = q.get(timeout=1.0)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise RuntimeError("an image worker exited unexpectedly") from None
                continue
            if isinstance(msg, str):
                raise RuntimeError(f"rendering failed: {msg}")
            done += 1
            bar.update(1)  # type: ignore[attr-defined]
        for p in procs:
            p.join()
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join()


def write_catalog(out: str | Path, seed: int = DEFAULT_SEED, images: bool = True,
                  limit: int | None = None, workers: int = 1, progress: bool = True) -> list[dict[str, str]]:
    """Generate the catalog and write ``items.csv`` (and images) under ``out``; returns the rows."""
    out = Path(out)
    rows = generate(seed)
    if limit is not None:
        rows = limit_rows(rows, limit)
    out.mkdir(parents=True, exist_ok=True)
    if images:
        from tqdm import tqdm

        (out / "images").mkdir(parents=True, exist_ok=True)
        with tqdm(total=len(rows), desc="rendering images", unit="img", disable=not progress) as bar:
            n = min(workers, len(rows))
            if n > 1 and hasattr(os, "fork"):
                _render_parallel(rows, out, n, bar)
            else:
                _render_rows(rows, out, bar.update)
    _atomic_write(out / "items.csv", rows_to_csv(rows))
    return rows
