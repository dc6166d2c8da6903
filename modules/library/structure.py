"""What a LoRA's tensor table alone says, cached across files whose tensor tables are byte-identical.

Most files of a library come from a few trainers with a few settings, so their headers differ only in
`__metadata__` (run dates, hashes, tag counts): the part after it, names + dtypes + shapes + offsets,
is byte-for-byte the same. Parsing and classifying ~3000 keys of an SDXL header costs ~30 ms; hashing
the bytes costs ~0.3 ms. `StructureCache` keys the expensive part (full validation by
`parse_header`, key analysis, block mapping, adapter format, rank) by a hash of those bytes. Correctness
does not depend on the cache: a header whose metadata is not first, or any miss, is parsed in full.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from ..arch.detect import KeyVerdict, analyse_keys
from ..blocks.layouts import block_of_key, module_of_key, sort_blocks
from ..inspection.header import METADATA_KEY, TensorInfo, parse_header

DEFAULT_MAX_STRUCTURES = 256

_METADATA_FIRST = re.compile(rb'^\{\s*"' + METADATA_KEY.encode() + rb'"\s*:\s*')
_DECODER = json.JSONDecoder()

# Adapter families by key part (`blocks.layouts.keys`); DoRA is a LoRA with `dora_scale`.
_FAMILY_OF_PART = {"up": "lora", "down": "lora", "mid": "lora", "up_bias": "lora", "down_bias": "lora",
                   "diff": "full", "diff_b": "full", "set_weight": "full", "oft_blocks": "oft"}
_RANK_PARTS = ("down", "hada_w1_b", "lokr_w2_b", "lokr_w1_b", "glora_a1")


@dataclass
class Structure:
    """Facts of one tensor table. `modules` keeps one key per module, for block mapping per architecture."""

    max_end: int
    tensor_count: int
    keys: KeyVerdict
    adapter: str
    rank: int | None
    alpha_tensor: tuple[str, int] | None  # (dtype, offset in the data buffer) of the first `.alpha` scalar
    modules: tuple[str, ...]
    _blocks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    per_arch: dict[str, dict] = field(default_factory=dict)  # index columns that depend on table + arch only

    def blocks(self, arch: str) -> tuple[str, ...]:
        """Block ids present for `arch`, in editor order (memoised per architecture)."""
        if arch not in self._blocks:
            self._blocks[arch] = tuple(sort_blocks({block_of_key(arch, key) for key in self.modules}))
        return self._blocks[arch]


def adapter_format(parts: set[str]) -> str:
    """lora | dora | loha | lokr | glora | oft | full | mixed | unknown, from the key parts present."""
    families = set()
    for part in parts:
        if part.startswith("hada_"):
            families.add("loha")
        elif part.startswith("lokr_"):
            families.add("lokr")
        elif part.startswith("glora_"):
            families.add("glora")
        elif part in _FAMILY_OF_PART:
            families.add(_FAMILY_OF_PART[part])
    if "dora_scale" in parts and families <= {"lora"}:
        return "dora"
    if len(families) > 1:
        return "mixed"
    return families.pop() if families else "unknown"


def _structure(header_tensors: dict[str, TensorInfo]) -> Structure:
    parts: set[str] = set()
    ranks: Counter[int] = Counter()
    modules: dict[str, str] = {}
    alpha = None
    for key, info in header_tensors.items():
        module, part = module_of_key(key)
        parts.add(part)
        modules.setdefault(module, key)
        if part in _RANK_PARTS and len(info.shape) >= 2:
            ranks[info.shape[0] if part != "glora_a1" else info.shape[1]] += 1
        elif part == "alpha" and alpha is None and info.numel == 1:
            alpha = (info.dtype, info.data_offsets[0])
    return Structure(
        max_end=max((info.data_offsets[1] for info in header_tensors.values()), default=0),
        tensor_count=len(header_tensors),
        keys=analyse_keys(header_tensors),
        adapter=adapter_format(parts),
        rank=ranks.most_common(1)[0][0] if ranks else None,
        alpha_tensor=alpha,
        modules=tuple(modules.values()),
    )


def split_metadata(raw: bytes) -> tuple[dict[str, str] | None, int]:
    """(`__metadata__`, byte offset where the tensor part starts) when the header starts with a valid
    `__metadata__` object of strings; (None, 0) otherwise (the caller then parses the header in full,
    which reports any problem with its own message)."""
    m = _METADATA_FIRST.match(raw)
    if not m:
        return None, 0
    try:
        text = raw.decode("utf-8")
        start = len(raw[: m.end()].decode("utf-8"))
        metadata, end = _DECODER.raw_decode(text, start)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None, 0
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        return None, 0
    return metadata, len(text[:end].encode("utf-8"))


def table_key(raw: bytes, tensors_at: int) -> bytes:
    """SHA-256 of the tensor part of header `raw` (from `tensors_at`), without the trailing padding.

    Trailing spaces pad the header to 8 bytes and vary with the metadata's length: not structure.
    SHA-256, not BLAKE2b: CPUs of the last years hash it in hardware (SHA extensions), about twice as
    fast; this key is hashed for every file of a first index. No copy of the ~200 KB part is made."""
    tail = raw[-64:]
    padding = len(tail) - len(tail.rstrip())  # a few bytes: look at the tail only
    if padding == len(tail):  # all of it is whitespace
        padding = len(raw) - len(raw.rstrip())
    end = max(tensors_at, len(raw) - padding)
    return hashlib.sha256(memoryview(raw)[tensors_at:end]).digest()


class StructureCache:
    """Bounded LRU of `Structure`s by tensor-table hash; thread-safe."""

    def __init__(self, max_entries: int = DEFAULT_MAX_STRUCTURES):
        self._max = max_entries
        self._entries: OrderedDict[bytes, Structure] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def parse(self, raw: bytes, file_size: int, name) -> tuple[Structure, dict[str, str]]:
        """(structure, metadata) of the JSON header `raw` of a `file_size`-byte file.

        Raises SafetensorsHeaderError exactly when `parse_header` would."""
        metadata, tensors_at = split_metadata(raw)
        key = table_key(raw, tensors_at) + (b"m" if metadata is not None else b"-")
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        data_size = file_size - 8 - len(raw)
        if found is not None and metadata is not None and 0 <= found.max_end <= data_size:
            return found, metadata
        header = parse_header(raw, file_size=file_size, name=name)  # the full check, and its exact errors
        structure = found or _structure(header.tensors)
        with self._lock:
            self.misses += found is None
            self._entries[key] = structure
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return structure, header.metadata
