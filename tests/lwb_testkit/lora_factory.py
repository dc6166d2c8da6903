"""LoRA file factory: writes real `.safetensors` LoRAs with the key names and shapes trainers write.

    spec = make_lora(tmp / "x.safetensors", arch="SDXL", naming="kohya", adapter="lora", rank=4, alpha=2)
    spec.modules   # what ComfyUI should map: LoRA key prefix -> model weight it patches, shape, block

- `arch`: "SD15", "SDXL", "FLUX.1", "CHROMA", "SD3", "WAN" (ids of `modules/arch/ids.py`).
- `naming`: "kohya" | "diffusers" | "comfy" (see `lora_keys.py`; not every arch has every naming).
- `adapter`: "lora" | "loha" | "lokr" | "lokr_full" | "dora" | "full" (see `lora_formats.py`).
- `blocks`: None (every block) or labels/families, e.g. ["input_blocks.4", "output_blocks"], ["double_blocks"].
- `modules`: "compact" (default: a few small layers per block, files of a few MB) or "all".
- `text_encoder`: True (all of the arch's CLIP encoders), False, or labels, e.g. ["te1"] / ["te2"] for SDXL.
- `conv`: add LoCon conv layers (ResBlocks, down/upsamplers) for SD1.5/SDXL.
- Full-diff files hold the real full weights, so by default they keep only the two smallest modules
  of the selection (one when they are large); `max_modules=N` keeps the N smallest for any adapter.

Same arguments -> byte-identical file (seeded torch.Generator, sorted header, see `write_safetensors`).
`supported_combinations()` lists every (arch, naming, adapter) for parametrised tests.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .lora_formats import ADAPTERS, FULL, LOHA, LOKR, LOKR_FULL, adapter_tensors, write_safetensors
from .lora_keys import COMPACT, ArchKeys, Module, select_modules
from .lora_keys_dit import CHROMA_KEYS, FLUX_KEYS, SD3_KEYS, WAN_KEYS
from .lora_keys_unet import SD15_KEYS, SDXL_KEYS

ARCH_KEYS: dict[str, ArchKeys] = {k.arch: k for k in (SD15_KEYS, SDXL_KEYS, FLUX_KEYS, CHROMA_KEYS, SD3_KEYS, WAN_KEYS)}


@dataclass(frozen=True)
class LoraSpec:
    """What `make_lora` wrote: the file, its options and the modules ComfyUI should map."""

    path: Path
    arch: str
    naming: str
    adapter: str
    rank: int
    alpha: float | None
    modules: tuple[Module, ...]
    keys: tuple[str, ...]
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def blocks(self) -> list[str]:
        """Block labels present, in model order (text encoders as "te", "te1", "te2")."""
        return list(dict.fromkeys(m.block for m in self.modules))


def arch_keys(arch: str) -> ArchKeys:
    if arch not in ARCH_KEYS:
        raise ValueError(f"architecture {arch!r} not supported by the LoRA factory (supported: {', '.join(ARCH_KEYS)})")
    return ARCH_KEYS[arch]


def supported_combinations() -> list[tuple[str, str, str]]:
    """Every (arch, naming, adapter) the factory writes, for `pytest.mark.parametrize`."""
    return [(arch, naming, adapter) for arch, keys in ARCH_KEYS.items() for naming in keys.namings
            for adapter in ADAPTERS]


def plan_modules(arch: str, naming: str = "kohya", adapter: str = "lora", *, blocks: Iterable[str] | None = None,
                 modules: str = COMPACT, text_encoder: bool | Iterable[str] = True, conv: bool = False,
                 max_modules: int | None = None) -> list[Module]:
    """The modules `make_lora` writes for these options, without writing anything."""
    if adapter not in ADAPTERS:
        raise ValueError(f"{arch}: unknown adapter {adapter!r} (known: {', '.join(ADAPTERS)})")
    selected = select_modules(arch_keys(arch), naming, module_set=modules, conv=conv, blocks=blocks,
                              text_encoder=text_encoder)
    if max_modules is None and adapter == FULL:
        selected = _smallest(selected, 2, budget=_FULL_BUDGET)
    elif max_modules is not None:
        selected = _smallest(selected, max_modules)
    if not selected:
        raise ValueError(f"{arch}: the options select no module (blocks={blocks!r}, text_encoder={text_encoder!r})")
    return selected


_FULL_BUDGET = 4_000_000  # elements: a full-diff default stays a few MB (one module when they are large)


def _smallest(selected: list[Module], count: int, budget: int | None = None) -> list[Module]:
    """The `count` smallest modules (model order kept); past the first, stop at `budget` elements."""
    order = sorted(range(len(selected)), key=lambda i: (math.prod(selected[i].shape), i))
    chosen, total = [], 0
    for i in order[:count]:
        size = math.prod(selected[i].shape)
        if chosen and budget is not None and total + size > budget:
            break
        chosen.append(i)
        total += size
    return [selected[i] for i in sorted(chosen)]


def make_lora(path: str | Path, arch: str = "SDXL", naming: str = "kohya", adapter: str = "lora", *,
              blocks: Iterable[str] | None = None, rank: int = 4, alpha: float | None = None,
              text_encoder: bool | Iterable[str] = True, conv: bool = False, modules: str = COMPACT,
              max_modules: int | None = None, metadata: dict[str, str] | None = None, seed: int = 0,
              dtype: torch.dtype = torch.float16) -> LoraSpec:
    """Write one LoRA file; returns its `LoraSpec`. `alpha=None` writes no `.alpha` keys (scale 1)."""
    if rank < 1:
        raise ValueError(f"{arch}: rank must be >= 1, got {rank}")
    path = Path(path)
    chosen = plan_modules(arch, naming, adapter, blocks=blocks, modules=modules, text_encoder=text_encoder,
                          conv=conv, max_modules=max_modules)
    gen = torch.Generator().manual_seed(seed)
    tensors: dict[str, torch.Tensor] = {}
    for module in chosen:
        tensors.update(adapter_tensors(module, adapter, naming, rank, alpha, gen))
    tensors = {k: v.to(dtype) for k, v in tensors.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_safetensors(path, tensors, metadata)
    return LoraSpec(path, arch, naming, adapter, rank, alpha, tuple(chosen), tuple(sorted(tensors)),
                    dict(metadata or {}))


# ---- header metadata --------------------------------------------------------------------------------

_KOHYA_BASE = {"SD15": "sd_v1", "SDXL": "sdxl_base_v1-0", "FLUX.1": "flux1", "CHROMA": "chroma", "SD3": "sd3",
               "WAN": "wan2.1"}
_KOHYA_MODULE = {"SD15": "networks.lora", "SDXL": "networks.lora", "FLUX.1": "networks.lora_flux",
                 "CHROMA": "networks.lora_flux", "SD3": "networks.lora_sd3", "WAN": "networks.lora_wan"}
_MODELSPEC_ARCH = {"SD15": "stable-diffusion-v1", "SDXL": "stable-diffusion-xl-v1-base", "FLUX.1": "flux-1-dev",
                   "CHROMA": "chroma", "SD3": "stable-diffusion-3-medium", "WAN": "wan2.1-t2v-1.3b"}


def kohya_metadata(arch: str, *, rank: int = 4, alpha: float | None = None, adapter: str = "lora",
                   model_name: str = "base.safetensors", tags: dict[str, int] | None = None,
                   **extra: str) -> dict[str, str]:
    """kohya sd-scripts style `ss_*` fields (all values are strings, as in real files)."""
    md = {
        "ss_base_model_version": _KOHYA_BASE.get(arch, arch.lower()),
        "ss_network_dim": str(rank),
        "ss_network_alpha": str(alpha if alpha is not None else rank),
        "ss_network_module": "lycoris.kohya" if adapter in (LOHA, LOKR, LOKR_FULL) else _KOHYA_MODULE.get(
            arch, "networks.lora"),
        "ss_sd_model_name": model_name,
        "ss_tag_frequency": json.dumps({"1_subject": tags or {"tok": 10}}, sort_keys=True),
    }
    if adapter in (LOHA, LOKR, LOKR_FULL):
        md["ss_network_args"] = json.dumps({"algo": "lokr" if adapter != LOHA else "loha"})
    md.update(extra)
    return md


def modelspec_metadata(arch: str, *, title: str = "Test LoRA", adapter: str = "lora", **extra: str) -> dict[str, str]:
    """SAI model-spec `modelspec.*` fields."""
    kind = "lycoris" if adapter in (LOHA, LOKR, LOKR_FULL) else "lora"
    md = {
        "modelspec.sai_model_spec": "1.0.0",
        "modelspec.architecture": f"{_MODELSPEC_ARCH.get(arch, arch.lower())}/{kind}",
        "modelspec.implementation": "https://github.com/kohya-ss/sd-scripts",
        "modelspec.title": title,
        "modelspec.resolution": "1024x1024" if arch != "SD15" else "512x512",
    }
    md.update(extra)
    return md


# ---- checkpoint stubs -------------------------------------------------------------------------------

_CKPT_PREFIX = {"SD15": "model.diffusion_model.", "SDXL": "model.diffusion_model.", "SD3": "model.diffusion_model.",
                "FLUX.1": "", "CHROMA": "", "WAN": ""}
_CKPT_EXTRA = {
    "SD15": ["model.diffusion_model.input_blocks.0.0.weight", "model.diffusion_model.time_embed.0.weight",
             "model.diffusion_model.out.2.weight", "cond_stage_model.transformer.text_model.final_layer_norm.weight",
             "first_stage_model.encoder.conv_in.weight"],
    "SDXL": ["model.diffusion_model.input_blocks.0.0.weight", "model.diffusion_model.label_emb.0.0.weight",
             "model.diffusion_model.out.2.weight",
             "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight",
             "conditioner.embedders.1.model.ln_final.weight", "conditioner.embedders.1.model.text_projection",
             "first_stage_model.encoder.conv_in.weight"],
    "FLUX.1": ["img_in.weight", "txt_in.weight", "time_in.in_layer.weight", "vector_in.in_layer.weight",
               "guidance_in.in_layer.weight", "double_blocks.0.img_attn.norm.key_norm.scale",
               "final_layer.linear.weight"],
    "CHROMA": ["img_in.weight", "txt_in.weight", "distilled_guidance_layer.in_proj.weight",
               "double_blocks.0.img_attn.norm.key_norm.scale", "final_layer.linear.weight"],
    "SD3": ["model.diffusion_model.x_embedder.proj.weight", "model.diffusion_model.pos_embed",
            "model.diffusion_model.context_embedder.weight", "model.diffusion_model.final_layer.linear.weight",
            "text_encoders.clip_l.transformer.text_model.final_layer_norm.weight",
            "text_encoders.clip_g.transformer.text_model.final_layer_norm.weight",
            "first_stage_model.encoder.conv_in.weight"],
    "WAN": ["patch_embedding.weight", "text_embedding.0.weight", "head.modulation", "head.head.weight"],
}
_CKPT_TE_PREFIX = {  # text encoder label -> checkpoint prefix of `text_model.encoder.layers...`
    ("SD15", "te"): "cond_stage_model.transformer.", ("SDXL", "te1"): "conditioner.embedders.0.transformer.",
    ("SD3", "te1"): "text_encoders.clip_l.transformer.", ("SD3", "te2"): "text_encoders.clip_g.transformer.",
}


def make_checkpoint_stub(path: str | Path, arch: str) -> list[str]:
    """Write a safetensors file whose *key names* look like an `arch` checkpoint; returns the keys.

    Every tensor has shape [1]: only the names are real (as in a full checkpoint for SD1.5/SDXL/SD3 with
    `model.diffusion_model.` UNet keys, a bare diffusion-model file for FLUX.1/Chroma/Wan). Use it to test
    code that classifies checkpoints by key names, never anything that reads shapes.
    """
    keys = arch_keys(arch)
    prefix = _CKPT_PREFIX[arch]
    names = []
    for layer in keys.layers("all", keys.conv):
        if layer.offset is None:
            names.append(f"{prefix}{layer.path}.weight")
            if layer.bias:
                names.append(f"{prefix}{layer.path}.bias")
    for te in keys.text_encoders:
        te_prefix = _CKPT_TE_PREFIX.get((arch, te.label))
        if te_prefix is not None:
            names += [f"{te_prefix}{layer.path}.weight" for layer in te.layer_list("all")]
    names += _CKPT_EXTRA[arch]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_safetensors(path, {n: torch.zeros(1, dtype=torch.float16) for n in names}, {"format": "pt"})
    return sorted(set(names))
