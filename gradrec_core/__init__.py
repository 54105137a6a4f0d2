"""GradREC engine: comparative recommendations ("something darker") over a CLIP-like item space.

Chia et al., "Does it come in black? CLIP-like models are zero-shot recommenders", ECNLP 2022.
Nothing here imports Rasa; nothing loads a model at import time.
"""

from .catalog import Catalog, CatalogSpec, load_catalog
from .engine import Engine
from .index import IndexConfig, ItemIndex, load_index
from .indexing import IndexReport, index_catalog
from .store import SessionStore
from .types import (
    Alternatives,
    CatalogError,
    Direction,
    EncoderError,
    GradrecError,
    IndexStateError,
    Item,
    ItemRemovedError,
    Room,
    ScoredItem,
    SessionError,
    SessionState,
    UnknownItemError,
    ValueExample,
    WalkStep,
)
from .walk import WalkConfig

__all__ = [
    "Catalog", "CatalogSpec", "load_catalog",
    "Engine", "WalkConfig",
    "IndexConfig", "ItemIndex", "load_index", "IndexReport", "index_catalog",
    "SessionStore",
    "CatalogError", "Direction", "EncoderError", "GradrecError", "IndexStateError", "Item", "ItemRemovedError",
    "ScoredItem", "SessionError", "SessionState", "UnknownItemError", "WalkStep",
    "Alternatives", "Room", "ValueExample",
]
__version__ = "0.1.0"
