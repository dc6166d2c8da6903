"""Load LoRA state dicts once per (path, size, mtime) and keep them within a memory budget.

A LoRA goes through ComfyUI's own format converter (`comfy.lora_convert.convert_lora`, as ComfyUI's
LoRA loader does), so BFL control LoRAs, Wan-Fun and other converted formats work as they do in
core. The hooks keep references to these tensors: nothing is copied per run. The budget is
`LWB_LORA_CACHE_MB` megabytes (default 2048); a LoRA larger than the budget is loaded per run
and not kept.
"""

import os

import comfy.lora_convert
import comfy.utils
import torch

from ..modules.inspection.cache import InspectCache

DEFAULT_CACHE_MB = 2048


def _state_dict_bytes(sd: dict) -> int:
    return sum(t.nbytes for t in sd.values() if isinstance(t, torch.Tensor))


_weights = InspectCache(max_entries=256, max_bytes=int(os.environ.get("LWB_LORA_CACHE_MB", DEFAULT_CACHE_MB)) << 20,
                        size_of=_state_dict_bytes)


def _load(path: str) -> dict:
    return comfy.lora_convert.convert_lora(comfy.utils.load_torch_file(path, safe_load=True))


def load_lora_state_dict(path: str) -> dict:
    """The converted state dict of the LoRA file at `path` (shared: callers must not modify it)."""
    return _weights.get_or_compute(path, "state_dict", lambda: _load(path))


def weights_cache() -> InspectCache:
    return _weights
