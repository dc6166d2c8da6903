"""Read and validate the header of a `.safetensors` file without touching the tensor data.

Layout (safetensors spec): 8-byte little-endian u64 `N`, then `N` bytes of UTF-8 JSON (an object
mapping tensor names to `{"dtype", "shape", "data_offsets"}`, plus an optional `"__metadata__"`
str -> str map), then the data buffer. Offsets are relative to the start of the data buffer.

Every malformed input ends in `SafetensorsHeaderError` naming the file and the problem: a header
length past the cap or past the end of the file is refused before anything is allocated, so a
hostile `N = 2**64 - 1` costs nothing.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass, field
from itertools import chain, islice
from operator import le
from pathlib import Path
from typing import NamedTuple

# The safetensors reference implementation refuses headers above 100 MB; so do we by default.
DEFAULT_MAX_HEADER_BYTES = 100_000_000

METADATA_KEY = "__metadata__"

# Bits per element of every dtype the safetensors format defines (sub-byte float formats included).
DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

_LEN = struct.Struct("<Q")


class SafetensorsHeaderError(ValueError):
    """The file is not a readable safetensors file; `path` and `problem` say which and why."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class TensorInfo(NamedTuple):  # a NamedTuple: files hold thousands of these and it builds 5x faster
    dtype: str
    shape: tuple[int, ...]
    data_offsets: tuple[int, int]

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.data_offsets[1] - self.data_offsets[0]


@dataclass(frozen=True)
class SafetensorsHeader:
    """The parsed header. `header_size` is N, the JSON length; the data buffer starts at 8 + N."""

    tensors: dict[str, TensorInfo]
    metadata: dict[str, str] = field(default_factory=dict)
    header_size: int = 0
    file_size: int = 0

    @property
    def data_start(self) -> int:
        return 8 + self.header_size

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: info.shape for name, info in self.tensors.items()}


def read_header(path: str | os.PathLike, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES) -> SafetensorsHeader:
    """Read and validate the header of the safetensors file at `path`."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            file_size = os.fstat(f.fileno()).st_size
            prefix = f.read(8)
            if len(prefix) < 8:
                raise SafetensorsHeaderError(
                    path, f"file is {file_size} bytes, too short for a safetensors header length")
            (n,) = _LEN.unpack(prefix)
            _check_length(path, n, file_size, max_header_bytes)
            raw = f.read(n)
    except OSError as err:
        raise SafetensorsHeaderError(path, f"cannot read file: {err.strerror or err}") from err
    if len(raw) < n:
        raise SafetensorsHeaderError(path, f"file truncated inside the header ({len(raw)} of {n} bytes)")
    return parse_header(raw, file_size=file_size, name=path)


def parse_header(raw: bytes, *, file_size: int, name: str | os.PathLike = "<bytes>") -> SafetensorsHeader:
    """Validate the JSON header bytes `raw` of a file of `file_size` bytes (8 + len(raw) + data)."""
    header_size = len(raw)
    data_size = file_size - 8 - header_size
    if data_size < 0:
        raise SafetensorsHeaderError(name, f"header of {header_size} bytes does not fit in a {file_size}-byte file")
    obj = _decode_json(name, raw)
    metadata = _metadata(name, obj.pop(METADATA_KEY, None))
    tensors = _tensors(name, obj, data_size)
    # json.loads keeps the last of duplicate keys, which would hide a tensor. An unescaped `"data_offsets"`
    # cannot occur inside a JSON string, so counting it finds duplicates without a per-object hook.
    fields = raw.count(b'"data_offsets"')
    if fields != len(tensors):
        raise SafetensorsHeaderError(
            name, f"duplicate key: {fields} data_offsets fields for {len(tensors)} distinct tensor names")
    _check_overlaps(name, tensors)
    return SafetensorsHeader(tensors=tensors, metadata=metadata, header_size=header_size, file_size=file_size)


def _check_length(path: Path, n: int, file_size: int, cap: int) -> None:
    if n > cap:
        raise SafetensorsHeaderError(path, f"header length {n} exceeds the {cap}-byte limit (not a safetensors file?)")
    if n > file_size - 8:
        raise SafetensorsHeaderError(
            path, f"header length {n} runs past the end of the {file_size}-byte file (truncated or not safetensors)")
    if n < 2:
        raise SafetensorsHeaderError(path, f"header length {n} is too small for a JSON object")


def _decode_json(name, raw: bytes) -> dict:
    if raw[:1] != b"{":
        raise SafetensorsHeaderError(name, "header does not start with '{' (not a safetensors file)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SafetensorsHeaderError(name, f"header is not UTF-8 (byte {err.start})") from err
    try:
        # The spec allows trailing spaces as padding; json.loads tolerates surrounding whitespace.
        obj = json.loads(text)
    except ValueError as err:
        raise SafetensorsHeaderError(name, f"header is not valid JSON: {err}") from err
    return obj  # an object: the text starts with '{' and parsed as one JSON value


def _metadata(name, value) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SafetensorsHeaderError(name, f"__metadata__ is a {type(value).__name__}, expected a str -> str object")
    for key, item in value.items():
        if not isinstance(item, str):
            raise SafetensorsHeaderError(
                name, f"__metadata__[{key!r}] is a {type(item).__name__}, the format allows only strings")
    return dict(value)


def _is_uint(value) -> bool:
    return type(value) is int and value >= 0  # `type is`, not isinstance: JSON true/false are not sizes


def _tensors(name, obj: dict, data_size: int) -> dict[str, TensorInfo]:
    """Every tensor entry of the header object (metadata removed), checked.

    Hot path: an SDXL LoRA has ~3000 tensors and checking them costs about as much as parsing the JSON,
    so the checks are inline and ordered cheapest first; `_tensor_problem` words the first failure."""
    out = {}
    for key, value in obj.items():
        if type(value) is dict:
            dtype, shape, offsets = value.get("dtype"), value.get("shape"), value.get("data_offsets")
            bits = DTYPE_BITS.get(dtype) if type(dtype) is str else None
            if bits and type(shape) is list and type(offsets) is list and len(offsets) == 2 and _is_size_list(shape):
                start, end = offsets
                if type(start) is int and type(end) is int and 0 <= start <= end <= data_size:
                    total = math.prod(shape) * bits
                    if total % 8 == 0 and total // 8 == end - start:
                        out[key] = _new_tuple(TensorInfo, (dtype, tuple(shape), (start, end)))
                        continue
        raise SafetensorsHeaderError(name, f"tensor {key!r}: {_tensor_problem(value, data_size)}")
    return out


_new_tuple = tuple.__new__  # builds a TensorInfo without its Python-level __new__ (5x cheaper)


def _is_size_list(shape: list) -> bool:
    """All non-negative ints (not bools). Unrolled for 2-D, the common case: a generator per tensor
    would cost as much as the rest of the check."""
    if len(shape) == 2:
        a, b = shape
        return type(a) is int and type(b) is int and a >= 0 and b >= 0
    return all(type(d) is int and d >= 0 for d in shape)


def _tensor_problem(value, data_size: int) -> str:
    if not isinstance(value, dict):
        return f"entry is a {type(value).__name__}, expected an object"
    for required in ("dtype", "shape", "data_offsets"):
        if required not in value:
            return f"missing {required!r}"
    dtype, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        return f"unknown dtype {dtype!r}"
    if not isinstance(shape, list) or not all(_is_uint(d) for d in shape):
        return f"shape {shape!r} is not a list of non-negative integers"
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_uint(o) for o in offsets)):
        return f"data_offsets {offsets!r} is not a pair of non-negative integers"
    start, end = offsets
    if start > end:
        return f"data_offsets {offsets} end before they start"
    if end > data_size:
        return f"data_offsets {offsets} run past the end of the {data_size}-byte data buffer (truncated file?)"
    bits = math.prod(shape) * DTYPE_BITS[dtype]
    return f"{dtype} {shape} needs {bits / 8:g} bytes but data_offsets span {end - start}"


def _check_overlaps(name, tensors: dict[str, TensorInfo]) -> None:
    # Sorted by start, non-empty spans are disjoint iff start0 <= end0 <= start1 <= end1 ... (C-level loops).
    bounds = list(chain.from_iterable(sorted([o for _, _, o in tensors.values() if o[1] > o[0]])))
    if all(map(le, bounds, islice(bounds, 1, None))):
        return
    spans = sorted((info.data_offsets, key) for key, info in tensors.items() if info.nbytes)  # names for the message
    for (prev, prev_key), (cur, cur_key) in zip(spans, spans[1:], strict=False):
        if cur[0] < prev[1]:
            raise SafetensorsHeaderError(
                name, f"tensors {prev_key!r} {list(prev)} and {cur_key!r} {list(cur)} overlap in the data buffer")
