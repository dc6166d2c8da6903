"""Per-file LoRA profiles and per-pair block inner products, cached per file version.

A profile (per-block ‖ΔW_b‖², the shape of every weight the LoRA patches, its tensor keys) and a pair's
inner products depend only on the files, so they are kept in bounded, locked LRU tables keyed by each
file's (path, size, mtime_ns) and the architecture: re-running a combination after changing strengths
or the policy does no tensor work, and a replaced file is measured again. Factors (the tensors) are
never cached: they are loaded for the files whose profile or pairs are missing and dropped afterwards.

A pair's inner products come from `blocks.energy.factor_gram` (r×r Gram matrices of the factors, ΔW is
never built), one pair at a time, so a pair's values do not depend on which set it was computed in.
The measuring runs with one torch thread: its matrices are r×r products that gain nothing from
threads, and on a busy machine two spinning OpenMP threads made them 20-50× slower (measured here).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

from ..blocks.energy import LoraFactors, factor_gram, load_factors
from ..blocks.energy.threads import one_torch_thread as _one_torch_thread
from ..blocks.layouts import TEXT_ENCODERS, InspireSlot, inspire_slots, sort_blocks, split_block_id
from ..blocks.weights import blocks_of_modules
from ..inspection.cache import CacheKey, file_key

PairGram = dict[tuple[int, int], dict[str, float]]  # (i, j), i < j -> {block: ⟨ΔW_i,b, ΔW_j,b⟩}

DEFAULT_PROFILES = 1024
DEFAULT_PAIRS = 16384


@dataclass(frozen=True)
class LoraProfile:
    path: str
    arch: str
    keys: tuple[str, ...]
    block_sq: dict[str, float]  # ‖ΔW_b‖² at strength 1, every block with a measured module
    shapes: dict[str, tuple[int, int]]  # canonical target (with row slice) -> (rows, cols) of its ΔW
    unmeasured: int
    approximate: bool

    @cached_property
    def block_ids(self) -> tuple[str, ...]:
        """The blocks its modules belong to, in model order (computed once per cached profile: mapping
        thousands of keys took most of a warm combine)."""
        return tuple(sort_blocks(set(blocks_of_modules(self.arch, self.keys).values())))

    @cached_property
    def inspire_slots(self) -> tuple[InspireSlot, ...]:
        """Its Inspire block-vector slots (`blocks.layouts.inspire_slots`), computed once per cached profile."""
        return tuple(inspire_slots(self.arch, self.keys))

    @property
    def has_clip(self) -> bool:
        """Whether the LoRA changes a text encoder (a measured, non-zero text-encoder block)."""
        return any(split_block_id(b)[0] in TEXT_ENCODERS and v > 0 for b, v in self.block_sq.items())


def profile_from_factors(factors: LoraFactors) -> LoraProfile:
    shapes = {}
    for entries in factors.blocks.values():
        for e in entries:
            units = e.target.units
            name = e.target.name if units is None else f"{e.target.name}[{units[0]}+{units[1]}]"
            shapes[name] = (e.delta.rows, e.delta.cols)
    return LoraProfile(factors.path, factors.arch, tuple(sorted(factors.keys)), factors.block_sq_norms(),
                       dict(sorted(shapes.items())), len(factors.unmeasured), factors.approximate)


class _Lru:
    def __init__(self, bound: int):
        self._bound = bound
        self._lock = threading.Lock()
        self._data: OrderedDict = OrderedDict()

    def get(self, key):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            return None

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._bound:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class LoraAnalyzer:
    """Profiles and pair grams with caching; `load` is injectable for tests (default `load_factors`)."""

    def __init__(self, max_profiles: int = DEFAULT_PROFILES, max_pairs: int = DEFAULT_PAIRS, load=load_factors):
        self._profiles = _Lru(max_profiles)
        self._pairs = _Lru(max_pairs)
        self._load = load

    def clear(self) -> None:
        self._profiles.clear()
        self._pairs.clear()

    def _factors(self, path: str, arch: str, loaded: dict[str, LoraFactors]) -> LoraFactors:
        if path not in loaded:
            loaded[path] = self._load(path, arch)
        return loaded[path]

    def profiles(self, paths: list[str], archs: list[str], loaded: dict[str, LoraFactors] | None = None
                 ) -> list[LoraProfile]:
        loaded = {} if loaded is None else loaded
        out = []
        for path, arch in zip(paths, archs, strict=True):
            key = (file_key(path, "combiner"), arch)
            profile = self._profiles.get(key)
            if profile is None:
                with _one_torch_thread():
                    profile = profile_from_factors(self._factors(path, arch, loaded))
                self._profiles.put(key, profile)
            out.append(profile)
        return out

    def grams(self, paths: list[str], archs: list[str], loaded: dict[str, LoraFactors] | None = None) -> PairGram:
        """{(i, j): {block: G_ij[b]}} for i < j (cached pairs are not recomputed)."""
        loaded = {} if loaded is None else loaded
        keys: list[CacheKey] = [file_key(p, "combiner") for p in paths]
        out: PairGram = {}
        for i in range(len(paths)):
            for j in range(i + 1, len(paths)):
                key = self._pair_key(keys, archs, i, j)
                value = self._pairs.get(key)
                if value is None:
                    with _one_torch_thread():
                        value = factor_gram(self._factors(paths[i], archs[i], loaded),
                                            self._factors(paths[j], archs[j], loaded))
                    self._pairs.put(key, value)
                out[(i, j)] = value
        return out

    @staticmethod
    def _pair_key(keys: list[CacheKey], archs: list[str], i: int, j: int):
        a, b = sorted([(keys[i], archs[i]), (keys[j], archs[j])])
        return a, b


_shared = LoraAnalyzer()


def shared_analyzer() -> LoraAnalyzer:
    """The process-wide analyzer the node uses (bounded, locked tables)."""
    return _shared
