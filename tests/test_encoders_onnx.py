"""The ONNX backend of the MiniLM encoder against the float model it is made from: the same
queries retrieve the same items (recall@10 >= 0.98), on the sample catalog's texts. (The int8
backend does not reach that; benchmarks/scale.py measures it.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from gradrec_core import load_index  # noqa: E402
from gradrec_core.encoders import MiniLMEncoder  # noqa: E402


@pytest.mark.slow
def test_onnx_retrieves_what_the_float_model_does(sample_index_dir: Path) -> None:
    index = load_index(sample_index_dir)
    assert index.manifest.get("backend", "torch") == "torch"  # its vectors are the float model's
    rng = np.random.default_rng(5)
    rows = np.sort(rng.choice(len(index), 600, replace=False))
    texts = [index.items[r].text for r in rows]
    # queries: the opening words of other items' texts (kind, colour, cut: what shoppers type)
    others = rng.choice(np.setdiff1d(np.arange(len(index)), rows), 80, replace=False)
    queries = [" ".join(index.items[r].text.split()[:n]) for r, n in zip(others, rng.integers(2, 7, 80))]
    fast = MiniLMEncoder(backend="onnx")
    items8, queries8 = fast.encode_texts(texts), fast.encode_texts(queries)
    assert fast.device == "cpu (onnx)"
    float_items = index.vectors[rows]
    float_queries = MiniLMEncoder().encode_texts(queries)
    cosines = (items8 * float_items).sum(axis=1)
    truth = np.argsort(-(float_queries @ float_items.T), axis=1)[:, :10]
    found = np.argsort(-(queries8 @ items8.T), axis=1)[:, :10]
    recall = float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)]))
    print(f"recall@10 {recall:.4f}; item cosine to the float vectors: min {cosines.min():.4f}, "
          f"mean {cosines.mean():.4f}")
    assert recall >= 0.98, recall
    assert cosines.min() > 0.9999, cosines.min()
