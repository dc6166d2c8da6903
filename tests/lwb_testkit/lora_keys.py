"""Per-architecture layer tables and LoRA key naming for the LoRA file factory.

A *layer* is one real weight of the target model, named the way ComfyUI names it inside the model
(`diffusion_model.<path>.weight`, or `<clip>.transformer.<path>.weight` for text encoders), with the
real shape. A *naming* turns a layer into the key prefix a trainer writes (`lora_unet_...`,
`transformer....`, `diffusion_model....`). Dims are the real model dims so ComfyUI can apply the
patches; only the rank is small.

Namings:
- `kohya`: `lora_unet_<path with _>` / `lora_te[1|2|3]_<path with _>` (SD1.5 uses diffusers paths, as
  kohya's sd-scripts does; SDXL and DiTs use ComfyUI/SGM paths).
- `diffusers`: `unet.` (SD) / `transformer.` (DiT) + diffusers module names; text encoders as
  `text_encoder.` / `text_encoder_2.`. FLUX/SD3 q, k, v are separate modules that patch a slice of
  ComfyUI's fused qkv weight. For SD1.5/SDXL the attention projections are written in the attention
  processor form (`attn1.processor.to_q`), the only diffusers form ComfyUI 0.3.75 maps for UNets.
- `comfy`: ComfyUI's own generic form, `diffusion_model.<path>` and `text_encoders.<clip>.transformer.<path>`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

KOHYA = "kohya"
DIFFUSERS = "diffusers"
COMFY = "comfy"

COMPACT = "compact"
ALL = "all"


@dataclass(frozen=True)
class Layer:
    """One trainable weight of the model (or one slice of a fused weight, see `offset`)."""

    path: str  # ComfyUI path under diffusion_model. without ".weight" (or the TE path, see TextEncoder)
    shape: tuple[int, ...]  # (out, in) or (out, in, kh, kw): the shape of the patched (slice of the) weight
    block: str  # block label: "input_blocks.4", "middle_block.1", "double_blocks.3", "joint_blocks.0", "te1"
    bias: bool = True
    diffusers: str | None = None  # diffusers module path, when the diffusers naming differs from `path`
    offset: tuple[int, int, int] | None = None  # (dim, start, length) slice of the fused weight (diffusers only)
    native_only: bool = False  # a fused weight that diffusers trainers write as slices instead


@dataclass(frozen=True)
class Module:
    """One LoRA module as written to a file: its key prefix and the model weight it lands on."""

    name: str  # LoRA key prefix: the file holds "<name>.lora_down.weight" etc.
    target: str  # ComfyUI state-dict key patched, e.g. "diffusion_model.input_blocks.4.1....to_q.weight"
    shape: tuple[int, ...]
    block: str
    bias: bool
    offset: tuple[int, int, int] | None = None

    @property
    def is_text_encoder(self) -> bool:
        return not self.target.startswith("diffusion_model.")


@dataclass(frozen=True)
class TextEncoder:
    """A CLIP text encoder as ComfyUI holds it (`<clip>.transformer.text_model.encoder.layers.N...`)."""

    label: str  # "te", "te1", "te2": the kohya prefix is "lora_<label>_"
    clip: str  # "clip_l" / "clip_g"
    diffusers_prefix: str  # "text_encoder" / "text_encoder_2"
    width: int
    mlp: int
    layers: int

    def layer_list(self, module_set: str) -> list[Layer]:
        w, m = self.width, self.mlp
        shapes = {
            "self_attn.q_proj": (w, w), "self_attn.k_proj": (w, w), "self_attn.v_proj": (w, w),
            "self_attn.out_proj": (w, w), "mlp.fc1": (m, w), "mlp.fc2": (w, m),
        }
        names = list(shapes) if module_set == ALL else ["self_attn.q_proj", "self_attn.v_proj"]
        return [
            Layer(f"text_model.encoder.layers.{b}.{n}", shapes[n], self.label)
            for b in range(self.layers) for n in names
        ]

    def module(self, layer: Layer, naming: str) -> Module:
        target = f"{self.clip}.transformer.{layer.path}.weight"
        if naming == KOHYA:
            name = f"lora_{self.label}_{layer.path.replace('.', '_')}"
        elif naming == DIFFUSERS:
            name = f"{self.diffusers_prefix}.{layer.path}"
        else:
            name = f"text_encoders.{self.clip}.transformer.{layer.path}"
        return Module(name, target, layer.shape, layer.block, layer.bias)


CLIP_L = dict(clip="clip_l", width=768, mlp=3072, layers=12)
CLIP_G = dict(clip="clip_g", width=1280, mlp=5120, layers=32)


@dataclass(frozen=True)
class ArchKeys:
    """Everything the factory needs to know about one architecture's LoRA keys."""

    arch: str
    namings: tuple[str, ...]
    layers: Callable[[str, bool], list[Layer]]  # (module_set, conv) -> layers
    unet_name: Callable[[Layer, str], str]  # (layer, naming) -> LoRA key prefix
    text_encoders: tuple[TextEncoder, ...] = ()
    conv: bool = False  # LoCon conv layers available

    def block_labels(self, conv: bool = False) -> list[str]:
        """Every block label this architecture's default tables produce, in model order."""
        seen: dict[str, None] = {}
        for layer in self.layers(ALL, conv):
            seen.setdefault(layer.block, None)
        return list(seen)


def block_matches(block: str, wanted: Iterable[str]) -> bool:
    """`wanted` holds exact labels ("input_blocks.4") or family names ("double_blocks")."""
    family = block.split(".", 1)[0]
    return any(w in (block, family) for w in wanted)


def select_modules(
    keys: ArchKeys,
    naming: str,
    *,
    module_set: str = COMPACT,
    conv: bool = False,
    blocks: Iterable[str] | None = None,
    text_encoder: bool | Iterable[str] = True,
) -> list[Module]:
    """The modules a LoRA of `keys.arch` in `naming` holds for the given options, in model order."""
    if naming not in keys.namings:
        raise ValueError(f"{keys.arch}: naming {naming!r} not supported (supported: {', '.join(keys.namings)})")
    if module_set not in (COMPACT, ALL):
        raise ValueError(f"{keys.arch}: module set {module_set!r} must be {COMPACT!r} or {ALL!r}")
    if conv and not keys.conv:
        raise ValueError(f"{keys.arch}: conv (LoCon) layers are only available for SD1.5/SD2/SDXL")
    wanted = None if blocks is None else list(blocks)
    if wanted is not None:
        known = set(keys.block_labels(conv=True)) | {b.split(".", 1)[0] for b in keys.block_labels(conv=True)}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise ValueError(f"{keys.arch}: unknown block(s) {unknown}; known: {keys.block_labels(conv=True)}")
    out = [
        Module(keys.unet_name(layer, naming), f"diffusion_model.{layer.path}.weight", layer.shape, layer.block,
               layer.bias, layer.offset)
        for layer in _naming_layers(keys, naming, module_set, conv)
        if wanted is None or block_matches(layer.block, wanted)
    ]
    if text_encoder is True:
        encoders = keys.text_encoders
    elif text_encoder is False:
        encoders = ()
    else:
        labels = list(text_encoder)
        encoders = tuple(te for te in keys.text_encoders if te.label in labels)
        missing = set(labels) - {te.label for te in encoders}
        if missing:
            raise ValueError(f"{keys.arch}: no text encoder(s) {sorted(missing)}; "
                             f"known: {[te.label for te in keys.text_encoders]}")
    for te in encoders:
        out.extend(te.module(layer, naming) for layer in te.layer_list(module_set))
    return out


def _naming_layers(keys: ArchKeys, naming: str, module_set: str, conv: bool) -> list[Layer]:
    """Diffusers writes fused qkv weights as q/k/v slices; the other namings write the fused weight."""
    layers = keys.layers(module_set, conv)
    if naming == DIFFUSERS:
        return [layer for layer in layers if not layer.native_only]
    return [layer for layer in layers if layer.offset is None]


def fused(path: str, shape: tuple[int, int], block: str, parts: list[tuple[str, int]],
          bias: bool = True) -> list[Layer]:
    """A fused layer (for the kohya/comfy namings) plus its diffusers slices.

    `parts` is [(diffusers path, rows)] in the order the rows are stacked in the fused weight.
    """
    out = [Layer(path, shape, block, bias, native_only=True)]
    start = 0
    for dpath, rows in parts:
        out.append(Layer(path, (rows, shape[1]), block, bias, diffusers=dpath, offset=(0, start, rows)))
        start += rows
    if start != shape[0]:
        raise ValueError(f"{path}: diffusers slices cover {start} rows, the weight has {shape[0]}")
    return out
