"""Split a LoRA tensor key into its module name and adapter part, and normalise module names.

Every adapter format ComfyUI loads stores a module `x` as `x<suffix>` (`comfy/lora.py:load_lora`,
`comfy/weight_adapter/*.py`). `module_of_key` strips the suffix; `normalise_module` then strips the
trainer prefix (kohya `lora_unet_`, diffusers `unet.` / `transformer.`, PEFT `base_model.model.`,
SimpleTuner `lycoris_`, ComfyUI `diffusion_model.` ...) and returns the model path in underscore form,
so kohya, diffusers and BFL spellings of the same layer compare equal.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# (suffix, part). Checked longest first, so ".lora_B.default.weight" wins over ".lora_B".
_SUFFIXES: tuple[tuple[str, str], ...] = (
    (".lora_up.weight", "up"), (".lora_down.weight", "down"), (".lora_mid.weight", "mid"),
    ("_lora.up.weight", "up"), ("_lora.down.weight", "down"),
    (".lora.up.weight", "up"), (".lora.down.weight", "down"),
    (".lora_linear_layer.up.weight", "up"), (".lora_linear_layer.down.weight", "down"),
    (".lora_B.default.weight", "up"), (".lora_A.default.weight", "down"),
    (".lora_B.weight", "up"), (".lora_A.weight", "down"),
    (".lora_B.bias", "up_bias"), (".lora_A.bias", "down_bias"),
    (".lora_B", "up"), (".lora_A", "down"),
    (".hada_w1_a", "hada_w1_a"), (".hada_w1_b", "hada_w1_b"), (".hada_w2_a", "hada_w2_a"),
    (".hada_w2_b", "hada_w2_b"), (".hada_t1", "hada_t1"), (".hada_t2", "hada_t2"),
    (".lokr_w1_a", "lokr_w1_a"), (".lokr_w1_b", "lokr_w1_b"), (".lokr_w2_a", "lokr_w2_a"),
    (".lokr_w2_b", "lokr_w2_b"), (".lokr_w1", "lokr_w1"), (".lokr_w2", "lokr_w2"), (".lokr_t2", "lokr_t2"),
    (".a1.weight", "glora_a1"), (".a2.weight", "glora_a2"), (".b1.weight", "glora_b1"), (".b2.weight", "glora_b2"),
    (".oft_blocks", "oft_blocks"), (".oft_diag", "oft_blocks"), (".rescale", "rescale"),
    (".dora_scale", "dora_scale"), (".alpha", "alpha"),
    (".diff_b", "diff_b"), (".diff", "diff"), (".w_norm", "w_norm"), (".b_norm", "b_norm"),
    (".set_weight", "set_weight"), (".reshape_weight", "reshape_weight"),
)
_SUFFIXES = tuple(sorted(_SUFFIXES, key=lambda s: -len(s[0])))

ADAPTER_PARTS = frozenset(part for _, part in _SUFFIXES)


# Memoised (bounded, thread-safe): a library's files repeat the same few thousand key names, and the
# first index analyses every distinct tensor table.
@functools.lru_cache(maxsize=1 << 16)
def module_of_key(key: str) -> tuple[str, str]:
    """`("x", part)` for a tensor key `x<suffix>`; a key with no known suffix is `(key, "unknown")`."""
    for suffix, part in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)], part
    return key, "unknown"


# Text-encoder prefixes -> raw encoder token (resolved per architecture in text_encoders.py).
_TE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("lora_prior_te_", "te"), ("lora_te1_", "te1"), ("lora_te2_", "te2"), ("lora_te3_", "te3"),
    ("lora_te_", "te"), ("text_encoders.clip_l.", "clip_l"), ("text_encoders.clip_g.", "clip_g"),
    ("text_encoders.t5xxl.", "t5"), ("text_encoders.", "te"), ("text_encoder_2.", "te2"),
    ("text_encoder_3.", "te3"), ("text_encoder.", "te"),
)

# Diffusion-model prefixes, longest/most specific first. Whatever is left is the model path.
_MODEL_PREFIXES: tuple[str, ...] = (
    "lora_prior_unet_", "lora_unet_", "lora_transformer_", "lycoris_",
    "model.diffusion_model.", "diffusion_model.", "unet.base_model.model.", "base_model.model.",
    "unet.", "transformer.",
)


@dataclass(frozen=True)
class ModulePath:
    """A module name with its trainer prefix removed.

    `scope` is "model" for the diffusion model, or the raw text-encoder token ("te", "te1", "te2",
    "te3", "clip_l", "clip_g", "t5"). `path` is the rest with "." replaced by "_" (kohya spelling).
    `dotted` says the name used dots (diffusers/PEFT/BFL), which matters for diffusers-only names.
    """

    scope: str
    path: str
    dotted: bool


def normalise_module(module: str) -> ModulePath:
    """Strip the trainer prefix of a module name (see ModulePath)."""
    for prefix, token in _TE_PREFIXES:
        if module.startswith(prefix):
            rest = module[len(prefix):]
            return ModulePath(token, _underscore(rest), "." in rest)
    rest = module
    for prefix in _MODEL_PREFIXES:
        if module.startswith(prefix):
            rest = module[len(prefix):]
            break
    return ModulePath("model", _underscore(rest), "." in rest)


_PROCESSOR = re.compile(r"_processor_(to_(?:q|k|v|out))")


def _underscore(path: str) -> str:
    """Dots to underscores; old diffusers attention-processor names to the plain ones.

    `attn1.processor.to_out` (the processor form ComfyUI maps) is the layer `attn1.to_out.0`.
    Wan-Fun's `lora_unet__blocks` has a doubled underscore, hence the lstrip.
    """
    p = path.replace(".", "_").lstrip("_")
    p = _PROCESSOR.sub(r"_\1", p)
    if p.endswith("_to_out"):
        p += "_0"
    return p
