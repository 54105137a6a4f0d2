"""The embedding cache ($GRADREC_EMBEDDING_CACHE): a text is embedded by the model once, its vector
read back later by any process; vectors keyed by the encoder's identity; bad paths named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gradrec_core.embedding_cache import ENV, EmbeddingCache
from gradrec_core.encoders import MiniLMEncoder
from gradrec_core.types import EncoderError

TEXTS = ["a navy linen shirt", "red leather ankle boots", "a navy linen shirt", "cotton crew-neck tee"]


def _counting(encoder: MiniLMEncoder) -> list[int]:
    """Wrap the encoder's model call; the list grows by each batch's size."""
    calls: list[int] = []
    inner = encoder._embed_batch

    def counted(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return inner(texts)

    encoder._embed_batch = counted  # type: ignore[method-assign]
    return calls


def test_a_text_is_embedded_once_and_read_back_as_the_model_made_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, str(tmp_path / "vectors.sqlite"))
    reference = MiniLMEncoder(backend="torch")
    monkeypatch.delenv(ENV)
    truth = reference.encode_texts(TEXTS + ["a pleated midi skirt"])  # no cache: the model's own vectors
    monkeypatch.setenv(ENV, str(tmp_path / "vectors.sqlite"))

    first = MiniLMEncoder(backend="torch")
    calls = _counting(first)
    got = first.encode_texts(TEXTS)
    assert sum(calls) == len(TEXTS)  # nothing cached yet: every text through the model
    assert np.allclose(got, truth[:4], atol=1e-5)

    second = MiniLMEncoder(backend="torch")  # another encoder (another process would do the same)
    calls = _counting(second)
    got = second.encode_texts(TEXTS)
    assert calls == [] and not second.loaded  # all read back: the model is not even loaded
    assert got.dtype == np.float32 and np.allclose(got, truth[:4], atol=1e-5)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)

    got = second.encode_texts(["a pleated midi skirt", *TEXTS])
    assert calls == [1]  # only the new text
    assert np.allclose(got, np.vstack([truth[4:], truth[:4]]), atol=1e-5)


def test_another_process_reads_the_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "shared.sqlite"
    monkeypatch.setenv(ENV, str(path))
    here = MiniLMEncoder(backend="torch").encode_texts(TEXTS)
    script = ("import sys, numpy as np\n"
              "from gradrec_core.encoders import MiniLMEncoder\n"
              "e = MiniLMEncoder(backend='torch')\n"
              f"v = e.encode_texts({TEXTS!r})\n"
              "np.save(sys.argv[1], v)\n"
              "print('loaded' if e.loaded else 'not loaded')\n")
    r = subprocess.run([sys.executable, "-c", script, str(tmp_path / "there.npy")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "not loaded"
    assert np.array_equal(np.load(tmp_path / "there.npy"), here)


def test_vectors_are_keyed_by_the_encoder(tmp_path: Path) -> None:
    torch_id = MiniLMEncoder(backend="torch").cache_identity()
    onnx_id = MiniLMEncoder(backend="onnx").cache_identity()
    assert torch_id and onnx_id and torch_id != onnx_id
    other = tmp_path / "model"  # another model folder (a copy of the config only: identity, not loading)
    other.mkdir()
    (other / "config.json").write_text('{"hidden_size": 384}')
    assert MiniLMEncoder(model=str(other)).cache_identity() not in (torch_id, onnx_id)
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    cache.put(torch_id, ["blue"], np.ones((1, 384), dtype=np.float32))  # type: ignore[arg-type]
    assert list(cache.get(torch_id, ["blue", "red"])) == [0]  # type: ignore[arg-type]
    assert cache.get(onnx_id, ["blue"]) == {}  # type: ignore[arg-type]
    assert cache.get(torch_id, ["blue"], dim=512) == {}  # type: ignore[arg-type]  # another width: not read


def test_a_path_that_cannot_hold_the_cache_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(ENV, str(blocker / "vectors.sqlite"))
    with pytest.raises(EncoderError, match=f"{ENV}=.*a-file/vectors.sqlite: cannot open the embedding cache"):
        MiniLMEncoder(backend="torch").encode_texts(["a navy linen shirt"])
