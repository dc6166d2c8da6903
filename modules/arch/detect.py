"""Which base model a LoRA (or a checkpoint) was made for.

Evidence is gathered in seed 004's order: sidecar metadata (`baseModel`, `base_model`, `sd_version`,
`modelspec.architecture`, `civitai.baseModel`, then free-form tags), header metadata
(`ss_base_model_version`, `modelspec.architecture`, `ss_sd_model_name`), tensor-key patterns, and
projection dims. Unlike the seed's reference implementation:

- names match on word boundaries ("chromatic" is not Chroma, "Laura" is not AuraFlow) and tags only
  count when the whole tag is a base-model name, after every real metadata field;
- the tensor keys are structural facts, metadata is a label: metadata may *refine* what the keys
  show (SDXL keys + "Pony" -> SDXL_PONY, FLUX-layout keys + "Chroma" -> CHROMA), but a label that
  contradicts the keys (a FLUX LoRA tagged `sd_v1`) loses, and the contradiction is reported.

`ArchitectureVerdict.source` names the evidence that decided. Base-model name matching lives in
`names.py` (`map_base_model_string` and `map_tag` are re-exported here).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from ..inspection.header import SafetensorsHeader, TensorInfo
from .ids import (
    ALL_ARCHITECTURES,
    AURAFLOW,
    CHROMA,
    FLUX1,
    FLUX2,
    HIDREAM,
    HUNYUAN_VIDEO,
    LUMINA2,
    QWEN_IMAGE,
    SD3,
    SD15,
    SD21,
    SDXL,
    SDXL_LINEAGES,
    UNKNOWN,
    WAN,
    ZIMAGE,
    base_family,
)
from .names import map_base_model_string, map_tag

SOURCE_SIDECAR = "sidecar"
SOURCE_HEADER = "header_metadata"
SOURCE_KEYS = "tensor_keys"
SOURCE_DIMS = "projection_dims"
SOURCE_NONE = "none"


@dataclass(frozen=True)
class ArchitectureVerdict:
    arch: str
    source: str
    evidence: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    keys_arch: str | None = None  # what the tensor keys alone said (None: they did not decide)

    def to_dict(self) -> dict:
        return {"arch": self.arch, "source": self.source, "evidence": list(self.evidence),
                "conflicts": list(self.conflicts), "keys_arch": self.keys_arch}


# ---------------------------------------------------------------------------------------------
# Metadata claims

@dataclass(frozen=True)
class _Claim:
    arch: str
    source: str
    field: str
    value: str
    weak: bool = False  # free-form tags: used only when nothing stronger speaks

    def describe(self) -> str:
        where = "sidecar" if self.source == SOURCE_SIDECAR else "header"
        return f"{where} {self.field} {self.value!r}"


_SIDECAR_FIELDS = (
    ("baseModel",), ("base_model",), ("sd_version",), ("sd version",), ("modelspec.architecture",),
    ("modelspec", "architecture"), ("civitai", "baseModel"),
)
_TAG_FIELDS = (("tags",), ("civitai", "tags"), ("civitai", "model", "tags"), ("model", "tags"))
_HEADER_FIELDS = ("ss_base_model_version", "modelspec.architecture", "ss_sd_model_name")


def _dig(data: Mapping, path: tuple[str, ...]):
    for part in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def _metadata_claims(sidecar: Mapping | None, metadata: Mapping | None) -> tuple[list[_Claim], list[str]]:
    claims, notes = [], []
    sidecar = sidecar if isinstance(sidecar, Mapping) else {}
    metadata = metadata if isinstance(metadata, Mapping) else {}

    def add(value, source: str, name: str, mapper=map_base_model_string, weak: bool = False) -> None:
        if not isinstance(value, str) or not value.strip():
            return
        arch = mapper(value)
        if arch is None:
            if not weak:
                notes.append(f"{'sidecar' if source == SOURCE_SIDECAR else 'header'} {name} {value!r}: "
                             "not a known base model")
            return
        claims.append(_Claim(arch, source, name, value, weak))

    for path in _SIDECAR_FIELDS:
        add(_dig(sidecar, path), SOURCE_SIDECAR, ".".join(path))
    for name in _HEADER_FIELDS:
        add(metadata.get(name), SOURCE_HEADER, name)
    if metadata.get("ss_v2") == "True" and not any(c.source == SOURCE_HEADER for c in claims):
        claims.append(_Claim(SD21, SOURCE_HEADER, "ss_v2", "True"))
    for path in _TAG_FIELDS:
        tags = _dig(sidecar, path)
        if isinstance(tags, list):
            for tag in tags:
                add(tag, SOURCE_SIDECAR, ".".join(path), mapper=map_tag, weak=True)
    return claims, notes


# ---------------------------------------------------------------------------------------------
# Tensor keys and dims

# Adapter suffixes (ComfyUI's comfy/lora.py list); the group tells whether the tensor's shape gives
# the module's output dim (up), its input dim (down) or both (a full weight diff).
_SUFFIX = re.compile(
    r"(?:\.(?:lora_(?P<u1>up|b)|lora_(?P<d1>down|a))(?:\.default)?(?:\.weight)?"
    r"|(?:\.|_)lora(?:_linear_layer)?\.(?:(?P<u2>up)|(?P<d2>down))\.weight"
    r"|\.hada_w[12]_(?:(?P<u3>a)|(?P<d3>b))"
    r"|\.(?P<full>diff)"
    r"|\.(?:lora_mid\.weight|alpha|dora_scale|diff_b|w_norm|b_norm|set_weight|reshape_weight|oft_blocks"
    r"|rescale|hada_t[12]|lokr_(?P<lokr>w[12](?:_[ab])?|t2)|[ab][12]\.weight|weight|bias))$"
)
_ROLES = {"u1": "up", "u2": "up", "u3": "up", "d1": "down", "d2": "down", "d3": "down", "full": "full"}
_TE_STARTS = ("lora_te", "text_encoder", "lora_prior_te_")  # cheap pre-check before _TE_PREFIX
_Q_PROJ = re.compile(r"(?:^|[._])q_proj$")
_SUFFIX_TAIL = 40  # the longest suffix (".lora_linear_layer.down.weight") is shorter: search only the tail
# Trainer/container prefixes, stripped repeatedly ("base_model.model.transformer."; Wan-Fun "lora_unet__").
_PREFIX_RX = re.compile(
    r"(?:(?:model\.diffusion_model\.|diffusion_model\.|base_model\.model\.|unet\.|transformer\."
    r"|lora_unet_|lora_transformer_|lycoris_|lora_prior_unet_)_*)*")
_TE_PREFIX = re.compile(
    r"^(?:lora_te(?P<n>\d*)_|text_encoder(?:_(?P<d>\d))?\.|text_encoders\.(?P<c>[a-z0-9_]+)\.|lora_prior_te_)")


@dataclass
class _Module:
    inp: int | None = None
    out: int | None = None
    ndim: int | None = None  # 4 for a conv weight (LoCon factors are 4-D), 2 for a linear one
    lokr: dict[str, tuple[int, ...]] = field(default_factory=dict)  # LoKr factor name -> shape

    def settle_lokr(self) -> None:
        """LoKr: W = w1 (x) w2, so out = out(w1) * out(w2) and in = in(w1) * in(w2) (factors may be split)."""
        def dims(n: str) -> tuple[int | None, int | None]:
            whole = self.lokr.get(f"w{n}")
            if whole and len(whole) >= 2:
                return whole[0], whole[1]
            a, b = self.lokr.get(f"w{n}_a"), self.lokr.get(f"w{n}_b")
            return (a[0] if a else None), (b[1] if b and len(b) >= 2 else None)

        (o1, i1), (o2, i2) = dims("1"), dims("2")
        if self.out is None and o1 and o2:
            self.out = o1 * o2
        if self.inp is None and i1 and i2:
            self.inp = i1 * i2


@dataclass
class _Keys:
    modules: dict[str, _Module] = field(default_factory=dict)  # canonical "a_b_c" path -> dims
    text_encoders: dict[str, _Module] = field(default_factory=dict)  # "te", "te1", ... -> q_proj dims
    raw: list[str] = field(default_factory=list)


def _shape_of(value) -> tuple[int, ...] | None:
    if isinstance(value, TensorInfo):
        return value.shape
    shape = getattr(value, "shape", value)
    if isinstance(shape, (list, tuple)) and all(isinstance(d, int) for d in shape):
        return tuple(shape)
    return None


@functools.lru_cache(maxsize=1 << 16)
def _key_facts(key: str) -> tuple[str, str | None, bool, str, str | None, str | None]:
    """(lowercased key, text encoder or None, is a q_proj, canonical module path, dims role, LoKr factor)
    of one tensor key: what `_collect` needs from the name alone. Memoised (bounded, thread-safe): a
    library repeats the same few thousand key names across its tensor tables."""
    low = key.lower()
    tail = max(0, len(low) - _SUFFIX_TAIL)
    match = _SUFFIX.search(low, tail)
    module = low[: match.start()] if match else low
    role = _ROLES.get(match.lastgroup) if match else None
    te = _TE_PREFIX.match(module) if module.startswith(_TE_STARTS) else None
    if te:
        name = "te" + (te["n"] or te["d"] or (te["c"] and "_" + te["c"]) or "")
        return low, name, _Q_PROJ.search(module) is not None, "", role, None
    canon = module[_PREFIX_RX.match(module).end():].replace(".", "_")
    return low, None, False, canon, role, match["lokr"] if match else None


def _collect(shapes: Mapping[str, tuple[int, ...] | None]) -> _Keys:
    facts = _Keys()
    raw, modules, encoders = facts.raw, facts.modules, facts.text_encoders
    for key, shape in shapes.items():
        low, te, q_proj, canon, role, lokr = _key_facts(key)
        raw.append(low)
        if te is not None:
            entry = encoders.get(te)
            if entry is None:
                entry = encoders[te] = _Module()
            if q_proj:
                _set_dims(entry, role, shape)
            continue
        entry = modules.get(canon)
        if entry is None:
            entry = modules[canon] = _Module()
        _set_dims(entry, role, shape)
        if lokr and shape:
            entry.lokr[lokr] = shape
    for entry in modules.values():
        if entry.lokr:
            entry.settle_lokr()
    return facts


def _set_dims(entry: _Module, role: str | None, shape: tuple[int, ...] | None) -> None:
    if not shape or len(shape) < 2:
        return
    if role in ("up", "down", "full") and entry.ndim is None:
        entry.ndim = len(shape)
    if role in ("up", "full") and entry.out is None:
        entry.out = shape[0]
    if role in ("down", "full") and entry.inp is None:
        entry.inp = shape[1]


@dataclass(frozen=True)
class KeyVerdict:
    """What the tensor keys (and their dims) say. `arch` None: undecided among `candidates`."""

    arch: str | None
    source: str
    candidates: frozenset[str]
    evidence: tuple[str, ...] = ()


_NONE = KeyVerdict(None, SOURCE_NONE, frozenset())


def _with_lineages(arch: str) -> frozenset[str]:
    return frozenset({arch, *SDXL_LINEAGES}) if arch == SDXL else frozenset({arch})


@functools.lru_cache(maxsize=256)
def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.M)


class _Facts:
    """Query helpers over the collected modules.

    The module names are joined into one newline-separated text and every rule is a single MULTILINE
    regex pass over it: a 2,000-key SDXL LoRA is classified in well under a millisecond per rule.
    """

    def __init__(self, keys: _Keys):
        self.keys = keys
        self.blob = "\n".join(keys.modules)
        self.raw_blob = "\n".join(keys.raw)

    def any(self, pattern: str) -> bool:
        return _rx(pattern).search(self.blob) is not None

    def any_raw(self, pattern: str) -> bool:
        return _rx(pattern).search(self.raw_blob) is not None

    def indices(self, pattern: str) -> set[int]:
        return {int(m.group(1)) for m in _rx(pattern).finditer(self.blob)}

    def modules(self, pattern: str) -> Iterator[_Module]:
        """The modules whose name matches `pattern`, in file order (a name may repeat)."""
        blob = self.blob
        for m in _rx(pattern).finditer(blob):
            start = blob.rfind("\n", 0, m.start()) + 1
            end = blob.find("\n", m.end())
            yield self.keys.modules[blob[start:end if end >= 0 else len(blob)]]

    def dim(self, pattern: str, which: str) -> int | None:
        return next((v for mod in self.modules(pattern) if (v := getattr(mod, which)) is not None), None)

    def ratio(self, pattern: str) -> float | None:
        return next((mod.out / mod.inp for mod in self.modules(pattern) if mod.inp and mod.out), None)


def _table(shapes: Mapping[str, object] | Iterable[str]) -> dict[str, tuple[int, ...] | None]:
    if isinstance(shapes, Mapping):
        return {k: _shape_of(v) for k, v in shapes.items()}
    return dict.fromkeys(shapes)


def analyse_keys(shapes: Mapping[str, object] | Iterable[str]) -> KeyVerdict:
    """Classify a LoRA by its tensor names (and shapes, when given as a mapping name -> shape/TensorInfo)."""
    facts = _Facts(_collect(_table(shapes)))
    for rule in (_unet, _sd3, _auraflow, _hidream, _wan, _qwen, _lumina, _flux_like, _transformer_blocks_only,
                 _text_encoders_only):
        verdict = rule(facts)
        if verdict is not None:
            return verdict
    return _NONE


def _unet(f: _Facts) -> KeyVerdict | None:
    ldm = f.any(r"^(?:input_blocks|middle_block|output_blocks)_")
    dif = f.any(r"^(?:down_blocks|up_blocks|mid_block)_")
    if not (ldm or dif):
        return None
    naming = "LDM (input_blocks/output_blocks)" if ldm else "diffusers (down_blocks/up_blocks)"
    evidence = [f"tensor keys: UNet in {naming} naming"]
    ctx = f.dim(r"attn2_(?:processor_)?to_[kv]$", "inp")
    by_ctx = {768: SD15, 1024: SD21, 2048: SDXL}.get(ctx)
    if by_ctx:
        evidence.append(f"cross-attention context dim {ctx} -> {by_ctx}")
        return KeyVerdict(by_ctx, SOURCE_DIMS, _with_lineages(by_ctx), tuple(evidence))
    if ctx:
        evidence.append(f"cross-attention context dim {ctx} matches no SD1/SD2/SDXL model")
    # SDXL: transformer depth > 1, attention in up_blocks.0, two text encoders; SD1/2: attention in the
    # outer levels SDXL does not have.
    sdxl = (f.any(r"_transformer_blocks_[1-9]") or f.any(r"^up_blocks_0_attentions")
            or "te2" in f.keys.text_encoders)
    single_te = "te" in f.keys.text_encoders and "te2" not in f.keys.text_encoders
    sd12 = (f.any(r"^(?:input_blocks_[12]_1|input_blocks_(?:9|1[01])|output_blocks_(?:9|1[01]))_")
            or f.any(r"^(?:down_blocks_0_attentions|down_blocks_3|up_blocks_3)_") or single_te)
    # SD1.x's transformers project in/out with 1x1 convs; SD2.x and SDXL use linear layers.
    proj = f.dim(r"_proj_(?:in|out)$", "ndim")
    if proj == 4 and not sdxl:
        evidence.append("1x1-conv transformer proj_in/proj_out -> SD1.x")
        return KeyVerdict(SD15, SOURCE_DIMS, frozenset({SD15}), tuple(evidence))
    if proj == 2 and not sd12 and not sdxl:
        evidence.append("linear transformer proj_in/proj_out: SD2.x or SDXL, most likely SDXL")
        return KeyVerdict(SDXL, SOURCE_DIMS, frozenset({SD21, *_with_lineages(SDXL)}), tuple(evidence))
    if sdxl and not sd12:
        evidence.append("SDXL structure (transformer depth > 1 / up_blocks.0 attention / second text encoder)")
        return KeyVerdict(SDXL, SOURCE_KEYS, _with_lineages(SDXL), tuple(evidence))
    if sd12 and not sdxl:
        te_dim = f.keys.text_encoders.get("te", _Module()).inp
        by_te = {768: SD15, 1024: SD21}.get(te_dim)
        if by_te:
            evidence.append(f"text encoder width {te_dim} -> {by_te}")
            return KeyVerdict(by_te, SOURCE_DIMS, frozenset({by_te}), tuple(evidence))
        evidence.append("SD1/SD2 structure (attention in the outermost UNet levels / single text encoder)")
        return KeyVerdict(SD15, SOURCE_KEYS, frozenset({SD15, SD21}), tuple(evidence))
    evidence.append("UNet structure alone cannot tell SD1.5, SD2.1 and SDXL apart")
    default = SDXL if ldm else SD15  # kohya writes SGM names for SDXL and diffusers names for SD1.x
    return KeyVerdict(default, SOURCE_KEYS, frozenset({SD15, SD21, *_with_lineages(SDXL)}), tuple(evidence))


def _sd3(f: _Facts) -> KeyVerdict | None:
    if f.any(r"^joint_blocks_\d+_(?:x_block|context_block)"):
        return KeyVerdict(SD3, SOURCE_KEYS, frozenset({SD3}), ("tensor keys: SD3 joint_blocks (MMDiT)",))
    return None


def _auraflow(f: _Facts) -> KeyVerdict | None:
    if f.any(r"^(?:double_layers|single_layers|joint_transformer_blocks)_\d+_"):
        return KeyVerdict(AURAFLOW, SOURCE_KEYS, frozenset({AURAFLOW}),
                          ("tensor keys: AuraFlow double_layers/single_layers (or joint_transformer_blocks)",))
    return None


def _hidream(f: _Facts) -> KeyVerdict | None:
    if f.any(r"^(?:double_stream_blocks|single_stream_blocks)_\d+_"):
        return KeyVerdict(HIDREAM, SOURCE_KEYS, frozenset({HIDREAM}),
                          ("tensor keys: HiDream double_stream_blocks/single_stream_blocks",))
    return None


def _wan(f: _Facts) -> KeyVerdict | None:
    if f.any(r"^blocks_\d+_(?:self_attn|cross_attn|ffn|attn1|attn2)_"):
        return KeyVerdict(WAN, SOURCE_KEYS, frozenset({WAN}),
                          ("tensor keys: Wan blocks.N.self_attn/cross_attn/ffn",))
    return None


def _qwen(f: _Facts) -> KeyVerdict | None:
    if f.any(r"^transformer_blocks_\d+_(?:img_mlp|txt_mlp|img_mod|txt_mod)_"):
        return KeyVerdict(QWEN_IMAGE, SOURCE_KEYS, frozenset({QWEN_IMAGE}),
                          ("tensor keys: Qwen-Image transformer_blocks.N.img_mlp/txt_mlp/img_mod",))
    return None


def _lumina(f: _Facts) -> KeyVerdict | None:
    if not f.any(r"^(?:layers_\d+_(?:attention|feed_forward|adaln_modulation|attn_|ffn_norm|norm1)"
                 r"|context_refiner_\d+_|noise_refiner_\d+_)"):
        return None
    evidence = ["tensor keys: Lumina2-family layers.N.attention/feed_forward (Lumina 2 or Z-Image)"]
    hidden = f.dim(r"^(?:layers|context_refiner|noise_refiner)_\d+_(?:attention_(?:qkv|to_[qkv])|attn_to_[qkv])$",
                   "inp")
    by_dim = {2304: LUMINA2, 3840: ZIMAGE}.get(hidden)
    if by_dim:
        evidence.append(f"hidden size {hidden} -> {by_dim}")
        return KeyVerdict(by_dim, SOURCE_DIMS, frozenset({by_dim}), tuple(evidence))
    if max(f.indices(r"^layers_(\d+)_"), default=0) >= 26:  # Lumina 2 has 26 layers, Z-Image 30
        evidence.append("layer index >= 26 -> Z-Image")
        return KeyVerdict(ZIMAGE, SOURCE_KEYS, frozenset({ZIMAGE}), tuple(evidence))
    return KeyVerdict(LUMINA2, SOURCE_KEYS, frozenset({LUMINA2, ZIMAGE}), tuple(evidence))


_FLUX_MODS = r"(?:img_mod_lin|txt_mod_lin|modulation_lin|norm1_linear|norm1_context_linear|norm_linear)$"


def _flux_like(f: _Facts) -> KeyVerdict | None:
    bfl = f.any(r"^(?:double_blocks|single_blocks)_\d+_")
    dif = f.any(r"^single_transformer_blocks_\d+_")
    if not (bfl or dif):
        return None
    evidence = ["tensor keys: FLUX-style double/single blocks"
                + (" (BFL/kohya naming)" if bfl else " (diffusers naming)")]
    double = f.indices(r"^(?:double_blocks|transformer_blocks)_(\d+)_")
    single = f.indices(r"^(?:single_blocks|single_transformer_blocks)_(\d+)_")
    hidden = f.dim(r"^(?:double_blocks_\d+_img_attn_qkv|single_blocks_\d+_linear1"
                   r"|(?:single_)?transformer_blocks_\d+_attn_to_[qkv])$", "inp")
    mlp = f.ratio(r"^(?:double_blocks_\d+_(?:img|txt)_mlp_0|transformer_blocks_\d+_ff(?:_context)?_net_0_proj)$")
    lin1 = f.ratio(r"^single_blocks_\d+_linear1$")

    flux2 = []
    if f.any(r"^(?:double_stream_modulation|single_stream_modulation)|to_qkv_mlp_proj$|_ff(?:_context)?_linear_in$"):
        flux2.append("FLUX.2 global modulation / fused single-block projection keys")
    if mlp == 6 or lin1 == 9:
        flux2.append("MLP width ratio of FLUX.2 (SwiGLU, mlp_ratio 3)")
    if hidden == 6144:
        flux2.append("hidden size 6144 (FLUX.2 dev)")
    if max(single, default=0) >= 40:
        flux2.append(f"single block {max(single)} (FLUX.2 dev has 48)")
    if flux2:
        return KeyVerdict(FLUX2, SOURCE_KEYS, frozenset({FLUX2}), tuple(evidence + flux2))

    hyvid = []
    if (f.any(r"_(?:img|txt)_mlp_fc[12]$|_(?:img|txt)_mod_linear$|_modulation_linear$|token_refiner")
            or f.any_raw(r"double_blocks\.\d+\.(?:img|txt)_attn_(?:qkv|proj)\.")):
        hyvid.append("HunyuanVideo module names (mlp.fc1, mod.linear, attn_qkv, token_refiner)")
    if max(double, default=0) >= 19 or max(single, default=0) >= 38:
        hyvid.append("block index beyond FLUX.1's 19 double / 38 single blocks (HunyuanVideo has 20 / 40)")
    if hyvid:
        return KeyVerdict(HUNYUAN_VIDEO, SOURCE_KEYS, frozenset({HUNYUAN_VIDEO}), tuple(evidence + hyvid))

    if f.any(r"^distilled_guidance_layer"):
        return KeyVerdict(CHROMA, SOURCE_KEYS, frozenset({CHROMA}),
                          (*evidence, "Chroma distilled_guidance_layer keys"))
    candidates = {FLUX1, HUNYUAN_VIDEO}
    if f.any(_FLUX_MODS):
        evidence.append("per-block modulation keys (FLUX.1; Chroma and FLUX.2 have none)")
    else:
        candidates.add(CHROMA)
        if mlp is None and lin1 is None:
            candidates.add(FLUX2)
    return KeyVerdict(FLUX1, SOURCE_KEYS, frozenset(candidates), tuple(evidence))


def _transformer_blocks_only(f: _Facts) -> KeyVerdict | None:
    """Diffusers `transformer_blocks.N.attn...` with no single blocks: SD3, FLUX (double only) or Qwen."""
    if not f.any(r"^transformer_blocks_\d+_(?:attn_|ff_|ff_context_|norm1)"):
        return None
    evidence = ["tensor keys: diffusers transformer_blocks only (SD3, FLUX double blocks or Qwen-Image)"]
    if f.any(r"_ff(?:_context)?_linear_in$"):
        return KeyVerdict(FLUX2, SOURCE_KEYS, frozenset({FLUX2}), (*evidence, "FLUX.2 ff.linear_in keys"))
    hidden = (f.dim(r"^transformer_blocks_\d+_(?:attn_(?:to_[qkv]|add_[qkv]_proj|to_out_0|to_add_out)"
                    r"|norm1(?:_context)?_linear|ff(?:_context)?_net_0_proj)$", "inp")
              or f.dim(r"^transformer_blocks_\d+_(?:attn_(?:to_[qkv]|to_out_0|to_add_out)|ff(?:_context)?_net_2)$",
                       "out"))
    top = max(f.indices(r"^transformer_blocks_(\d+)_"), default=0)
    if hidden in (1536, 2432):
        return KeyVerdict(SD3, SOURCE_DIMS, frozenset({SD3}),
                          (*evidence, f"hidden size {hidden} -> SD3 (64 x depth)"))
    if hidden == 6144:
        return KeyVerdict(FLUX2, SOURCE_DIMS, frozenset({FLUX2}), (*evidence, "hidden size 6144 -> FLUX.2"))
    if hidden == 3072:
        if top >= 19:
            return KeyVerdict(QWEN_IMAGE, SOURCE_DIMS, frozenset({QWEN_IMAGE}),
                              (*evidence, f"hidden size 3072 with block {top} (> FLUX.1's 19) -> Qwen-Image"))
        return KeyVerdict(FLUX1, SOURCE_DIMS, frozenset({FLUX1, QWEN_IMAGE, CHROMA, FLUX2, HUNYUAN_VIDEO}),
                          (*evidence, "hidden size 3072 -> FLUX.1 double blocks (or Qwen-Image)"))
    return KeyVerdict(None, SOURCE_KEYS, frozenset({SD3, FLUX1, FLUX2, CHROMA, QWEN_IMAGE}), tuple(evidence))


def _text_encoders_only(f: _Facts) -> KeyVerdict | None:
    """A LoRA that trains only text encoders. CLIP-L and T5 are shared by many families, so the keys
    give at most a guess that any metadata may override; only SD2's OpenCLIP-H (width 1024) is unique."""
    tes = f.keys.text_encoders
    if not tes:
        return None
    evidence = [f"tensor keys: text encoder only ({', '.join(sorted(tes))})"]
    anything = frozenset(ALL_ARCHITECTURES) - {UNKNOWN}
    widths = {name: m.inp for name, m in tes.items() if m.inp}
    if set(tes) == {"te"} and widths.get("te") == 1024:
        return KeyVerdict(SD21, SOURCE_DIMS, frozenset({SD21}), (*evidence, "OpenCLIP-H width 1024 -> SD2.x"))
    if widths.get("te2") == 1280:
        evidence.append("CLIP-G width 1280: SDXL (or SD3)")
        return KeyVerdict(SDXL, SOURCE_DIMS, anything, tuple(evidence))
    if set(tes) == {"te"} and widths.get("te") == 768 and f.any_raw(r"^lora_te_"):
        evidence.append("kohya single CLIP-L text encoder (lora_te_): most likely SD1.x")
        return KeyVerdict(SD15, SOURCE_KEYS, anything, tuple(evidence))
    evidence.append("the text encoder alone does not identify the model")
    return KeyVerdict(None, SOURCE_KEYS, anything, tuple(evidence))


# ---------------------------------------------------------------------------------------------
# Resolution

def _shapes_and_metadata(header_or_keys, metadata):
    if isinstance(header_or_keys, SafetensorsHeader):
        return header_or_keys.tensors, header_or_keys.metadata if metadata is None else metadata
    return header_or_keys, metadata


def detect_architecture(header_or_keys: SafetensorsHeader | Mapping[str, object] | Iterable[str] | None,
                        metadata: Mapping[str, str] | None = None,
                        sidecar: Mapping | None = None, *, keys: KeyVerdict | None = None) -> ArchitectureVerdict:
    """Decide a LoRA's architecture from its header (or key -> shape map, or key list), metadata and sidecar.

    `metadata` defaults to the header's `__metadata__`; `sidecar` is the parsed sidecar JSON object.
    `keys` is a key analysis already made by `analyse_keys` (the library caches it across files that
    share a tensor layout); with it, `header_or_keys` may be None.
    """
    if keys is None:
        shapes, metadata = _shapes_and_metadata(header_or_keys, metadata)
        keys = analyse_keys(shapes)
    elif metadata is None and header_or_keys is not None:
        _, metadata = _shapes_and_metadata(header_or_keys, metadata)
    sidecar = getattr(sidecar, "data", sidecar)  # a sidecars.Sidecar is accepted too
    claims, notes = _metadata_claims(sidecar, metadata)
    return _resolve(claims, notes, keys)


def _compatible(arch: str, other: str) -> bool:
    return arch == other or base_family(arch) == base_family(other) == SDXL


def _resolve(claims: list[_Claim], notes: list[str], keys: KeyVerdict) -> ArchitectureVerdict:
    strong = [c for c in claims if not c.weak]
    weak = [c for c in claims if c.weak]
    evidence = [f"{c.describe()} -> {c.arch}" for c in claims] + list(keys.evidence) + notes
    keys_decide = bool(keys.candidates)
    allowed = keys.candidates

    # Tags speak only when no real metadata field does: a contradicted baseModel does not hand over to them.
    chosen = next((c for c in (strong or weak) if not keys_decide or c.arch in allowed), None)
    if chosen is not None:
        arch, source = chosen.arch, chosen.source
        if arch == SDXL:  # a later real field may name the SDXL lineage ("SDXL 1.0" + a Pony model name)
            lineage = next((c for c in strong if c.arch in SDXL_LINEAGES and (not keys_decide or c.arch in allowed)),
                           None)
            if lineage:
                arch = lineage.arch
                evidence.append(f"lineage from {lineage.describe()}")
    elif keys.arch is not None:
        arch, source = keys.arch, keys.source
    else:
        arch, source = UNKNOWN, SOURCE_NONE

    decider = chosen.describe() if chosen else "the tensor keys" if keys.arch else "no evidence"
    conflicts = tuple(f"{c.describe()} says {c.arch}, but {arch} was kept from {decider}"
                      for c in strong if not _compatible(c.arch, arch))
    # Order the evidence so the deciding clue comes first.
    lead = f"decided by {source}: {arch}"
    return ArchitectureVerdict(arch, source, (lead, *dict.fromkeys(evidence)), conflicts, keys.arch)


# ---------------------------------------------------------------------------------------------
# Checkpoints (for the compatibility check)

_CKPT_PREFIXES = ("model.diffusion_model.", "diffusion_model.", "model.", "")


def detect_checkpoint_architecture(header_or_keys: SafetensorsHeader | Mapping[str, object],
                                   metadata: Mapping[str, str] | None = None) -> ArchitectureVerdict:
    """The architecture of a full checkpoint / diffusion model, from its weight names and shapes.

    Mirrors the markers ComfyUI's model detection uses; a checkpoint the markers miss is treated like
    a LoRA-style key set (diffusers files), then by its `modelspec.architecture` metadata.
    """
    shapes, metadata = _shapes_and_metadata(header_or_keys, metadata)
    table = _table(shapes)
    for prefix in _CKPT_PREFIXES:
        found = _checkpoint_markers(table, prefix)
        if found:
            arch, why = found
            return ArchitectureVerdict(arch, SOURCE_KEYS, (f"decided by {SOURCE_KEYS}: {arch}", why), (), arch)
    return detect_architecture(table, metadata=metadata)


def _checkpoint_markers(table: Mapping[str, tuple[int, ...] | None], p: str) -> tuple[str, str] | None:
    def has(name: str) -> bool:
        return p + name in table

    def shape(name: str) -> tuple[int, ...] | None:
        return table.get(p + name)

    if has("joint_blocks.0.context_block.attn.qkv.weight"):
        return SD3, "MMDiT joint_blocks"
    if has("double_layers.0.attn.w1q.weight"):
        return AURAFLOW, "AuraFlow double_layers"
    if has("txt_in.individual_token_refiner.blocks.0.norm1.weight"):
        return HUNYUAN_VIDEO, "HunyuanVideo token refiner"
    if has("double_blocks.0.img_attn.norm.key_norm.scale"):
        if has("double_stream_modulation_img.lin.weight"):
            return FLUX2, "FLUX.2 global modulation"
        if any(k.startswith(p + "distilled_guidance_layer.") for k in table):
            return CHROMA, "Chroma distilled guidance layer"
        return FLUX1, "FLUX.1 double_blocks"
    if has("cap_embedder.1.weight"):
        dim = (shape("cap_embedder.1.weight") or (0,))[0]
        return (ZIMAGE, f"Lumina2-family, dim {dim} (Z-Image)") if dim == 3840 else (LUMINA2, "Lumina 2 cap_embedder")
    if has("head.modulation"):
        return WAN, "Wan head.modulation"
    if has("caption_projection.0.linear.weight"):
        return HIDREAM, "HiDream caption_projection"
    if has("txt_norm.weight"):
        return QWEN_IMAGE, "Qwen-Image txt_norm"
    if has("input_blocks.0.0.weight"):
        ctx = next((s[1] for k, s in table.items() if k.startswith(p) and s and len(s) >= 2
                    and re.search(r"\.attn2\.to_k\.weight$", k)), None)
        arch = {768: SD15, 1024: SD21, 2048: SDXL}.get(ctx)
        if arch:
            return arch, f"UNet with cross-attention context dim {ctx}"
        # No usable shapes: fall back on names (SDXL's class-embedding and CLIP-G, SD1's CLIP-L, SD2's OpenCLIP).
        if has("label_emb.0.0.weight") or any(k.startswith("conditioner.embedders.1.") for k in table):
            return SDXL, "UNet with label_emb / second text encoder (SDXL)"
        if any(k.startswith("cond_stage_model.model.") for k in table):
            return SD21, "UNet with an OpenCLIP text encoder (SD2)"
        if any(k.startswith("cond_stage_model.transformer.") for k in table) or any(
                k.startswith(p + "input_blocks.1.1.") for k in table):
            return SD15, "UNet with attention at input_blocks.1 and a CLIP-L text encoder (SD1)"
    return None
