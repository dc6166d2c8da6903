"""Adapter tensor builders (LoRA, LoHa, LoKr, DoRA, full diff) and a byte-deterministic safetensors writer.

Each builder returns the tensors of one module under their key suffixes, shaped so that ComfyUI's
weight adapters (`comfy/weight_adapter/*.py`) rebuild a delta of exactly the module's weight shape.

The writer exists because `safetensors.torch.save_file` serialises `__metadata__` from a hash map
whose order changes between processes, so the same arguments would not give the same bytes.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import torch

from .lora_keys import KOHYA, Module

LORA = "lora"
LOHA = "loha"
LOKR = "lokr"  # lokr_w1 + factored lokr_w2_a / lokr_w2_b, with alpha
LOKR_FULL = "lokr_full"  # lokr_w1 + full lokr_w2, no alpha
DORA = "dora"
FULL = "full"
ADAPTERS = (LORA, LOHA, LOKR, LOKR_FULL, DORA, FULL)

_DTYPES = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32"}


def lora_suffixes(naming: str) -> tuple[str, str]:
    """(down, up) key suffixes of a plain LoRA: kohya `lora_down/lora_up`, PEFT `lora_A/lora_B` otherwise."""
    if naming == KOHYA:
        return ".lora_down.weight", ".lora_up.weight"
    return ".lora_A.weight", ".lora_B.weight"


def _rand(gen: torch.Generator, shape: tuple[int, ...], scale: float) -> torch.Tensor:
    return torch.randn(shape, generator=gen, dtype=torch.float32) * scale


def _factor(n: int, limit: int) -> int:
    """The largest divisor of n that is <= limit (LoKr's Kronecker split of one dim)."""
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)


def adapter_tensors(module: Module, adapter: str, naming: str, rank: int, alpha: float | None,
                    gen: torch.Generator) -> dict[str, torch.Tensor]:
    """Tensors of one module (fp32; the caller casts). Keys are full LoRA keys."""
    out_dim, in_dim = module.shape[0], module.shape[1]
    kernel = tuple(module.shape[2:])
    fan_in = in_dim * math.prod(kernel)
    r = min(rank, out_dim, fan_in)
    n = module.name
    t: dict[str, torch.Tensor] = {}
    if adapter in (LORA, DORA):
        down_s, up_s = lora_suffixes(naming)
        t[n + down_s] = _rand(gen, (r, in_dim, *kernel), 1 / math.sqrt(fan_in))
        t[n + up_s] = _rand(gen, (out_dim, r, *((1,) * len(kernel))), 0.01)
        if adapter == DORA:
            t[n + ".dora_scale"] = 1 + _rand(gen, (out_dim, *((1,) * (len(module.shape) - 1))), 0.01)
    elif adapter == LOHA:
        for w in ("w1", "w2"):
            t[f"{n}.hada_{w}_a"] = _rand(gen, (out_dim, r), 0.1)
            t[f"{n}.hada_{w}_b"] = _rand(gen, (r, fan_in), 0.1)
    elif adapter in (LOKR, LOKR_FULL):
        limit = 16 if adapter == LOKR else 64
        a, b = _factor(out_dim, limit), _factor(in_dim, limit)
        t[f"{n}.lokr_w1"] = _rand(gen, (a, b), 0.1)
        w2_shape = (out_dim // a, in_dim // b, *kernel)
        if adapter == LOKR and not kernel:
            r2 = min(r, *w2_shape)
            t[f"{n}.lokr_w2_a"] = _rand(gen, (w2_shape[0], r2), 0.1)
            t[f"{n}.lokr_w2_b"] = _rand(gen, (r2, w2_shape[1]), 0.1)
        else:
            t[f"{n}.lokr_w2"] = _rand(gen, w2_shape, 0.01)
    elif adapter == FULL:
        t[n + ".diff"] = _rand(gen, module.shape, 0.001)
        if module.bias and module.offset is None:
            t[n + ".diff_b"] = _rand(gen, (out_dim,), 0.001)
    else:
        raise ValueError(f"{module.name}: unknown adapter {adapter!r} (known: {', '.join(ADAPTERS)})")
    if alpha is not None and adapter not in (FULL, LOKR_FULL):
        t[n + ".alpha"] = torch.tensor(float(alpha))
    return t


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None) -> None:
    """Write a safetensors file whose bytes depend only on the tensors and metadata (keys sorted)."""
    header: dict[str, object] = {}
    if metadata:
        bad = [k for k, v in metadata.items() if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            raise ValueError(f"{path.name}: __metadata__ values must be strings, not for {bad}")
        header["__metadata__"] = dict(sorted(metadata.items()))
    blobs = []
    offset = 0
    for key in sorted(tensors):
        tensor = tensors[key].detach().contiguous().cpu()
        if tensor.dtype not in _DTYPES:
            raise ValueError(f"{path.name}: tensor {key} has unsupported dtype {tensor.dtype}")
        data = tensor.view(torch.uint8).numpy().tobytes() if tensor.dim() else tensor.reshape(1).view(
            torch.uint8).numpy().tobytes()
        header[key] = {"dtype": _DTYPES[tensor.dtype], "shape": list(tensor.shape),
                       "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)
