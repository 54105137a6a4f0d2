"""Tests for gradrec_core.encoders: the bundled MiniLM and a tiny random CLIP built on the fly.

The tiny CLIP has random weights: these tests check plumbing (shapes, norms, order, caching,
image/text routing, offline loading), never semantics.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import random
import socket
import threading
import time

import numpy as np
import pytest
import torch

from gradrec_core.encoders import (
    PROMPT_TEMPLATES,
    CLIPEncoder,
    Encoder,
    MiniLMEncoder,
    get_encoder,
)
from gradrec_core.types import EncoderError, Item

TEXTS = [
    "navy polo shirt",
    "dark blue polo shirt",
    "red floral dress",
    "a long black wool winter coat with a hood and two deep side pockets",
    "sneakers",
    "white linen trousers, relaxed fit",
    "leather ankle boots with a block heel",
]


def _unit_rows(x: np.ndarray, atol: float = 1e-5) -> bool:
    return bool(np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=atol))


def _count_forwards(module: torch.nn.Module) -> list[int]:
    """A list that grows by one per forward call of `module` (tests use throwaway encoders)."""
    calls: list[int] = []
    module.register_forward_hook(lambda *_: calls.append(1))
    return calls


# --------------------------------------------------------------------------- minilm


@pytest.fixture(scope="module")
def minilm() -> Encoder:
    """The float model (torch backend): these tests hold its pooling to the reference computation;
    tests/test_encoders_onnx.py holds the other backends to it."""
    enc = get_encoder("minilm", backend="torch")
    enc.encode_texts(["warm up"])
    return enc


def test_get_encoder_is_lazy():
    enc = get_encoder()
    assert isinstance(enc, MiniLMEncoder)
    assert enc.name == "minilm"
    assert enc.model_name == "sentence-transformers/all-MiniLM-L6-v2"
    assert enc._model is None and not enc.loaded
    enc.encode_texts(["hello"])
    assert enc._model is not None and enc.loaded


def test_unknown_encoder_name():
    with pytest.raises(EncoderError, match="unknown encoder"):
        get_encoder("bert")


def test_minilm_shape_dtype_norm(minilm):
    out = minilm.encode_texts(TEXTS)
    assert minilm.dim == 384
    assert out.shape == (len(TEXTS), 384)
    assert out.dtype == np.float32
    assert _unit_rows(out)


def test_minilm_empty(minilm):
    for fn in (minilm.encode_texts, minilm.encode_prompts):
        out = fn([])
        assert out.shape == (0, 384) and out.dtype == np.float32
    assert minilm.encode_items([]).shape == (0, 384)


def test_minilm_deterministic_and_order_independent(minilm):
    a = minilm.encode_texts(TEXTS)
    b = minilm.encode_texts(TEXTS)
    np.testing.assert_array_equal(a, b)
    # different batch sizes: different padding, same vectors
    for bs in (1, 2, 3, 100):
        np.testing.assert_allclose(minilm.encode_texts(TEXTS, batch_size=bs), a, atol=1e-5)
    # a shuffled input: length bucketing must hand rows back in the caller's order
    perm = list(range(len(TEXTS)))
    random.Random(7).shuffle(perm)
    shuffled = minilm.encode_texts([TEXTS[i] for i in perm], batch_size=2)
    np.testing.assert_allclose(shuffled, a[perm], atol=1e-5)


def test_minilm_matches_reference_mean_pooling(minilm):
    """A straightforward sentence-transformers-style computation, one text at a time."""
    from transformers import AutoModel, AutoTokenizer

    folder = minilm.model_path
    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
    refs = []
    with torch.no_grad():
        for text in TEXTS:
            enc = tok([text], truncation=True, max_length=256, return_tensors="pt")
            hidden = model(**enc).last_hidden_state[0]  # (tokens, 384), no padding
            v = hidden.mean(dim=0)
            refs.append((v / v.norm()).numpy())
    np.testing.assert_allclose(minilm.encode_texts(TEXTS), np.stack(refs), atol=1e-5)


def test_minilm_truncates_to_256_tokens(minilm):
    long = " ".join(["shirt"] * 600)
    longer = long + " " + " ".join(["dress"] * 300)  # differs only after token 256
    out = minilm.encode_texts([long, longer])
    assert out.shape == (2, 384)
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)


def test_minilm_semantics(minilm):
    navy, dark_blue, red_dress = minilm.encode_texts(
        ["navy polo shirt", "dark blue polo shirt", "red floral dress"]
    )
    assert float(navy @ dark_blue) > float(navy @ red_dress) + 0.2


def test_minilm_items_use_text(minilm):
    items = [Item(id="a", text="navy polo shirt", image="/nonexistent.png"), Item(id="b", text="red dress")]
    np.testing.assert_allclose(
        minilm.encode_items(items), minilm.encode_texts(["navy polo shirt", "red dress"]), atol=1e-6
    )


def test_minilm_rejects_images(minilm):
    with pytest.raises(EncoderError, match=r"text only; use --encoder clip"):
        minilm.encode_images(["x.png"])


def test_minilm_rejects_non_strings(minilm):
    with pytest.raises(EncoderError):
        minilm.encode_texts(["ok", None])  # type: ignore[list-item]
    with pytest.raises(EncoderError):
        minilm.encode_texts("a single string")


def test_minilm_missing_folder():
    enc = get_encoder("minilm", model="/no/such/folder")
    with pytest.raises(EncoderError, match="does not exist"):
        enc.encode_texts(["x"])


def test_minilm_prompts_cached():
    enc = get_encoder("minilm", backend="torch")  # its model calls are counted on the torch module
    first = enc.encode_prompts(["navy polo shirt", "red dress"])
    calls = _count_forwards(enc._model)
    again = enc.encode_prompts(["red dress", "navy polo shirt", "red dress"])
    assert calls == []  # no model call at all
    np.testing.assert_array_equal(again, first[[1, 0, 1]])
    np.testing.assert_allclose(first, enc.encode_texts(["navy polo shirt", "red dress"]), atol=1e-6)
    calls.clear()
    enc.encode_prompts(["navy polo shirt", "green skirt"])  # one new prompt -> one forward
    assert len(calls) == 1
    # callers can't corrupt the cache through the returned array
    again[0] = 0.0
    np.testing.assert_array_equal(enc.encode_prompts(["red dress"])[0], first[1])


def test_progress_bar_flag(minilm, capsys):
    minilm.encode_texts(TEXTS, progress=True)
    assert "encoding texts" in capsys.readouterr().err
    minilm.encode_texts(TEXTS)  # small input, progress=None: no bar
    assert "encoding texts" not in capsys.readouterr().err


# --------------------------------------------------------------------------- tiny CLIP


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP byte-level mapping: every byte to a printable unicode character."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTokenizer

    folder = tmp_path_factory.mktemp("tiny-clip")
    chars = list(_bytes_to_unicode().values())
    tokens = chars + [c + "</w>" for c in chars]
    merges = [("p", "h"), ("ph", "o"), ("pho", "t"), ("phot", "o</w>"), ("r", "e"), ("re", "d</w>")]
    tokens += ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]  # last, as in the real CLIP vocab
    vocab = {t: i for i, t in enumerate(tokens)}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text(
        "#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in merges) + "\n", encoding="utf-8"
    )
    tokenizer = CLIPTokenizer.from_pretrained(str(folder))
    assert tokenizer.convert_ids_to_tokens(tokenizer("a red photo")["input_ids"]) == [
        "<|startoftext|>", "a</w>", "red</w>", "photo</w>", "<|endoftext|>"
    ]
    tokenizer.save_pretrained(str(folder))

    config = CLIPConfig(
        text_config=dict(
            vocab_size=len(vocab),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=2,
            max_position_embeddings=77,
            bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
        ),
        vision_config=dict(
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            patch_size=8,
        ),
        projection_dim=16,
    )
    torch.manual_seed(0)
    CLIPModel(config).save_pretrained(str(folder))
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(
        str(folder)
    )
    return folder


@pytest.fixture(scope="session")
def images(tmp_path_factory):
    from PIL import Image

    folder = tmp_path_factory.mktemp("images")
    paths = []
    for i, (colour, size) in enumerate([((200, 30, 30), (40, 40)), ((20, 20, 160), (64, 48)), ((240, 240, 240), (33, 70))]):
        img = Image.new("RGB", size, colour)
        for x in range(0, size[0], 5):  # a few stripes so images differ by more than colour
            img.putpixel((x, x % size[1]), (i * 60, 255 - i * 60, 0))
        p = folder / f"img{i}.png"
        img.save(p)
        paths.append(str(p))
    grey = Image.new("L", (32, 32), 128)  # a non-RGB image: converted on load
    grey.save(folder / "grey.png")
    paths.append(str(folder / "grey.png"))
    return paths


@pytest.fixture()
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="module")
def clip(tiny_clip_dir) -> Encoder:
    return get_encoder("clip", model=str(tiny_clip_dir), device="cpu")


def test_clip_loads_from_folder_without_network(tiny_clip_dir, no_network, images):
    enc = get_encoder("clip", model=str(tiny_clip_dir), device="cpu")
    assert isinstance(enc, CLIPEncoder) and enc.name == "clip"
    assert enc.model_name == str(tiny_clip_dir.resolve())
    assert not enc.loaded  # get_encoder never loads
    assert enc.dim == 16
    assert enc.loaded
    assert enc.encode_texts(["a red photo"]).shape == (1, 16)
    assert enc.encode_images(images[:1]).shape == (1, 16)


def test_clip_load_once_under_concurrency(tiny_clip_dir):
    enc = get_encoder("clip", model=str(tiny_clip_dir), device="cpu")
    loads = []
    real_load = enc._load

    def slow_load():
        loads.append(1)
        time.sleep(0.2)
        real_load()

    enc._load = slow_load
    results = []
    threads = [threading.Thread(target=lambda: results.append(enc.encode_texts(["x"]))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len(results) == 4


def test_clip_texts(clip):
    out = clip.encode_texts(TEXTS)
    assert out.shape == (len(TEXTS), 16) and out.dtype == np.float32
    assert _unit_rows(out)
    np.testing.assert_allclose(clip.encode_texts(TEXTS, batch_size=2), out, atol=1e-5)
    perm = list(range(len(TEXTS)))[::-1]
    np.testing.assert_allclose(clip.encode_texts([TEXTS[i] for i in perm], batch_size=3), out[perm], atol=1e-5)
    assert clip.encode_texts([]).shape == (0, 16)


def test_clip_text_matches_direct_model(clip, tiny_clip_dir):
    from transformers import AutoTokenizer, CLIPModel

    tok = AutoTokenizer.from_pretrained(str(tiny_clip_dir))
    model = CLIPModel.from_pretrained(str(tiny_clip_dir)).eval()
    with torch.no_grad():
        enc = tok(TEXTS[:3], padding=True, return_tensors="pt")
        out = model.get_text_features(**enc)
        feats = out if isinstance(out, torch.Tensor) else out.pooler_output
    ref = torch.nn.functional.normalize(feats, dim=-1).numpy()
    np.testing.assert_allclose(clip.encode_texts(TEXTS[:3]), ref, atol=1e-5)


def test_clip_long_text_is_truncated(clip):
    out = clip.encode_texts([" ".join(["red"] * 500)])
    assert out.shape == (1, 16) and _unit_rows(out)


def test_clip_images(clip, images):
    out = clip.encode_images(images)
    assert out.shape == (len(images), 16) and out.dtype == np.float32
    assert _unit_rows(out)
    np.testing.assert_allclose(clip.encode_images(images, batch_size=1), out, atol=1e-5)
    np.testing.assert_allclose(clip.encode_images(images[::-1], batch_size=3), out[::-1], atol=1e-5)
    assert not np.allclose(out[0], out[1])
    assert clip.encode_images([]).shape == (0, 16)


def test_clip_missing_image_names_it(clip, tmp_path):
    bad = tmp_path / "missing.png"
    with pytest.raises(EncoderError, match="missing.png"):
        clip.encode_images([str(bad)])
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    with pytest.raises(EncoderError, match="junk.png"):
        clip.encode_images([str(junk)])


@pytest.fixture()
def image_server(images, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args, **kwargs):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=os.path.dirname(images[0]))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_clip_image_urls(clip, images, image_server):
    url = f"{image_server}/{os.path.basename(images[1])}"
    np.testing.assert_allclose(clip.encode_images([url]), clip.encode_images([images[1]]), atol=1e-6)
    with pytest.raises(EncoderError, match="nope.png"):
        clip.encode_images([f"{image_server}/nope.png"])


def test_clip_items_route_image_or_text(clip, images):
    items = [
        Item(id="1", text="red dress", image=images[1]),
        Item(id="2", text="navy polo shirt"),
        Item(id="3", text="anything", image=images[0]),
        Item(id="4", text="white sneakers", image=None),
    ]
    out = clip.encode_items(items)
    assert out.shape == (4, 16) and _unit_rows(out)
    np.testing.assert_allclose(out[[0, 2]], clip.encode_images([images[1], images[0]]), atol=1e-5)
    assert not np.allclose(out[0], clip.encode_texts(["red dress"])[0], atol=1e-3)
    np.testing.assert_allclose(out[[1, 3]], clip.encode_texts(["navy polo shirt", "white sneakers"]), atol=1e-5)
    assert clip.encode_items([]).shape == (0, 16)


def test_clip_prompt_ensemble(clip, tiny_clip_dir):
    from transformers import AutoTokenizer, CLIPModel

    assert len(PROMPT_TEMPLATES) == 66 and len(set(PROMPT_TEMPLATES)) == 66
    assert all(t.count("{}") == 1 for t in PROMPT_TEMPLATES)
    prompts = ["red dress", "navy polo shirt"]
    got = clip.encode_prompts(prompts)
    assert got.shape == (2, 16) and got.dtype == np.float32 and _unit_rows(got)

    tok = AutoTokenizer.from_pretrained(str(tiny_clip_dir))
    model = CLIPModel.from_pretrained(str(tiny_clip_dir)).eval()
    expected = []
    with torch.no_grad():
        for p in prompts:
            enc = tok([t.format(p) for t in PROMPT_TEMPLATES], padding=True, return_tensors="pt")
            out = model.get_text_features(**enc)
            feats = out if isinstance(out, torch.Tensor) else out.pooler_output
            feats = torch.nn.functional.normalize(feats, dim=-1).mean(dim=0)
            expected.append(torch.nn.functional.normalize(feats, dim=0).numpy())
    np.testing.assert_allclose(got, np.stack(expected), atol=1e-5)
    # the ensemble is not just the bare prompt
    assert not np.allclose(got, clip.encode_texts(prompts), atol=1e-3)


def test_clip_prompts_cached(tiny_clip_dir):
    enc = get_encoder("clip", model=str(tiny_clip_dir), device="cpu")
    first = enc.encode_prompts(["red dress"])
    calls = _count_forwards(enc._model.text_model)
    np.testing.assert_array_equal(enc.encode_prompts(["red dress", "red dress"]), first[[0, 0]])
    assert calls == []
    enc.encode_prompts(["red dress", "blue shirt"])
    assert len(calls) == 1  # the 66 templates of the new prompt go in one batch


def test_clip_missing_folder_is_clear():
    enc = get_encoder("clip", model="/no/such/clip/folder")
    with pytest.raises(EncoderError, match="does not exist"):
        enc.encode_texts(["x"])


def test_clip_unknown_hub_id_fails_fast(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    enc = get_encoder("clip", model="no-such-org/no-such-model-xyz")
    attempts = []
    real = enc._from_pretrained

    def recording(source, local_only):
        attempts.append(local_only)
        return real(source, local_only)

    monkeypatch.setattr(enc, "_from_pretrained", recording)
    start = time.monotonic()
    with pytest.raises(EncoderError) as info:
        enc.encode_texts(["x"])
    elapsed = time.monotonic() - start
    msg = str(info.value)
    assert "no-such-org/no-such-model-xyz" in msg and "--model" in msg
    assert "\n" not in msg
    assert elapsed < 60, f"took {elapsed:.1f}s to fail"
    # the local cache was tried; the retrying hub download was not (the short probe failed first)
    assert attempts == [True]


def test_clip_hub_id_offline_mode_never_tries_hub(monkeypatch, no_network):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    enc = get_encoder("clip", model="no-such-org/no-such-model-xyz")
    start = time.monotonic()
    with pytest.raises(EncoderError, match="HF_HUB_OFFLINE"):
        enc.encode_texts(["x"])
    assert time.monotonic() - start < 30


def test_bad_device_is_an_encoder_error(tiny_clip_dir):
    enc = get_encoder("clip", model=str(tiny_clip_dir), device="no-such-device")
    with pytest.raises(EncoderError, match="no-such-device"):
        enc.encode_texts(["x"])
    assert not enc.loaded


def test_encoders_loading_on_several_threads_at_once_all_load() -> None:
    """Four encoders loading at once on four threads of a fresh process (`gradrec index` loads its
    encoder ahead on a thread while another may load): all load. transformers' lazy imports fail
    from two threads at once ("cannot import name 'AutoModel'": 2-3 of 4 failed before loads
    were serialised in the process)."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import threading
        from gradrec_core.encoders import get_encoder
        encs = [get_encoder("minilm", None, backend="torch") for _ in range(4)]
        errors = []
        def load(e):
            try:
                e.load()
            except Exception as err:
                errors.append(str(err))
        threads = [threading.Thread(target=load, args=(e,)) for e in encs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(len(errors), all(e.loaded for e in encs), errors[:1])
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split()[:2] == ["0", "True"], r.stdout
