"""Per-module strength multipliers for one LoRA, from its preset and block vector.

The hook registers each LoRA module's patch with `strength × multiplier`, so a block value `s`
scales that block's weight change by exactly `s`. Explicit vectors win over preset values (seed
004). Block ids the seed's node wrote (`clip_layer_3`, `specialized_embeds`, ...) apply to every
block they covered. A block id that is not a block of the LoRA's architecture is an error naming
it: a typo must not silently do nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from .layouts import ARCH_BLOCK_MAPPINGS, BASE_BUCKETS, block_of_key, module_of_key, resolve_block_id
from .presets import vectors_for_preset
from .templates import is_template


def blocks_of_modules(arch: str, lora_keys: Iterable[str]) -> dict[str, str]:
    """{LoRA module name: block id} over the tensor keys of one LoRA."""
    out: dict[str, str] = {}
    for key in lora_keys:
        module, _ = module_of_key(key)
        if module not in out:
            out[module] = block_of_key(arch, key)
    return out


def effective_vector(arch: str, blocks_present: Iterable[str], preset: str | None,
                     vectors: dict[str, float]) -> dict[str, float]:
    """{block: value} after expanding `preset` over the present blocks and applying `vectors` on top."""
    present = set(blocks_present)
    known = present | set(BASE_BUCKETS) | {b["id"] for b in ARCH_BLOCK_MAPPINGS.get(arch, {}).get("blocks", ())}
    # A profile used as a preset arrives resolved into `vectors` (templates.resolve_item; a string written
    # elsewhere carries them too); without vectors it is unknown here, and vectors_for_preset says so.
    expand = preset and preset != "CUSTOM" and not (is_template(preset) and vectors)
    out = dict(vectors_for_preset(arch, preset, sorted(present))) if expand else {}
    for block_id, value in vectors.items():
        for block in resolve_block_id(arch, block_id):
            if block not in known:
                raise ValueError(f"block {block_id!r} is not a block of a {arch} LoRA")
            out[block] = float(value)
    return out


def module_multipliers(arch: str, lora_keys: Iterable[str], preset: str | None,
                       vectors: dict[str, float]) -> dict[str, float]:
    """{LoRA module name: multiplier} for the modules whose block value is not 1."""
    modules = blocks_of_modules(arch, lora_keys)
    vector = effective_vector(arch, modules.values(), preset, vectors)
    return {module: vector[block] for module, block in modules.items() if vector.get(block, 1.0) != 1.0}
