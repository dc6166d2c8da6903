"""A small, varied LoRA library for the demo and for library/index tests (`make_demo_library`).

Twenty LoRAs across SD1.5, SDXL (plus Pony/Illustrious lineage metadata), FLUX.1, Chroma, SD3 and Wan,
in kohya/diffusers/comfy naming, every adapter format, in `characters/`, `styles/`, `concepts/` and a
nested folder, with a mix of header metadata, sidecars and preview formats (some files have none,
as in real libraries). Deterministic; about 40 MB in total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from .lora_factory import LoraSpec, kohya_metadata, make_lora, modelspec_metadata
from .sidecars import write_sidecars


@dataclass(frozen=True)
class DemoLora:
    rel: str  # path under the library root
    arch: str  # factory architecture (the LoRA's real key layout)
    naming: str = "kohya"
    adapter: str = "lora"
    options: dict = field(default_factory=dict)  # extra make_lora arguments
    header: str | None = "kohya"  # "kohya", "modelspec", "both" or None
    lineage: str | None = None  # sidecar base model override, e.g. "SDXL_PONY"
    words: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    preview: str | None = ".preview.png"
    sidecars: tuple[str, ...] = ("metadata_json",)  # any of "metadata_json", "civitai_info", "json"


DEMO_LORAS: tuple[DemoLora, ...] = (
    DemoLora("characters/aiko_sdxl.safetensors", "SDXL", options={"text_encoder": ["te1"], "alpha": 2},
             words=("aiko", "blue kimono"), tags=("character", "anime")),
    DemoLora("characters/ranger_sd15.safetensors", "SD15", options={"alpha": 4}, words=("ranger",),
             tags=("character",), preview=".png", sidecars=("metadata_json", "civitai_info")),
    DemoLora("characters/pilot_flux.safetensors", "FLUX.1", "comfy", options={"blocks": ["double_blocks"]},
             header="modelspec", words=("pilot woman",), tags=("character", "realistic"), preview=".jpg"),
    DemoLora("characters/knight_pony.safetensors", "SDXL", options={"blocks": ["input_blocks.7", "input_blocks.8",
             "output_blocks"], "text_encoder": False, "alpha": 8, "rank": 8}, lineage="SDXL_PONY",
             words=("score_9", "armored knight"), tags=("character", "fantasy"), preview=".webp"),
    DemoLora("characters/dancer_wan.safetensors", "WAN", options={"alpha": 4}, words=("dancer",),
             tags=("character", "video"), preview=None),
    DemoLora("styles/ink_wash_sd15_locon.safetensors", "SD15", adapter="lokr",
             options={"conv": True, "text_encoder": False, "alpha": 1}, words=("ink wash",), tags=("style",),
             sidecars=("metadata_json", "json")),
    DemoLora("styles/watercolor_sdxl_lokr.safetensors", "SDXL", adapter="lokr", options={"alpha": 4},
             header="both", words=("watercolor",), tags=("style", "painting"), preview=".jpg"),
    DemoLora("styles/film_grain_flux.safetensors", "FLUX.1", "diffusers", options={"blocks": ["single_blocks"],
             "text_encoder": False}, header=None, words=("film grain",), tags=("style", "photo")),
    DemoLora("styles/pixel_art_sdxl_dora.safetensors", "SDXL", adapter="dora",
             options={"blocks": ["output_blocks"], "text_encoder": False, "alpha": 4}, words=("pixel art",),
             tags=("style",), preview=".webp"),
    DemoLora("styles/neon_sd3.safetensors", "SD3", "diffusers", options={"text_encoder": False},
             header="modelspec", words=("neon glow",), tags=("style",)),
    DemoLora("styles/oil_paint_chroma_lokr.safetensors", "CHROMA", adapter="lokr", options={"alpha": 4},
             words=("oil painting",), tags=("style", "painting"), preview=".png", sidecars=("civitai_info",)),
    DemoLora("styles/lineart_illustrious.safetensors", "SDXL", "diffusers", options={"text_encoder": False},
             lineage="SDXL_ILLUSTRIOUS", words=("lineart", "monochrome"), tags=("style", "anime")),
    DemoLora("concepts/detail_slider_sdxl.safetensors", "SDXL", options={"text_encoder": False, "alpha": 1,
             "rank": 2}, words=(), tags=("concept", "slider"), preview=".jpg"),
    DemoLora("concepts/low_light_sd15_locon.safetensors", "SD15", options={"conv": True, "text_encoder": False,
             "rank": 2, "alpha": 1}, words=("low light",), tags=("concept", "lighting")),
    DemoLora("concepts/fisheye_flux_lokr.safetensors", "FLUX.1", adapter="lokr_full", options={"text_encoder": False},
             header="both", words=("fisheye lens",), tags=("concept", "camera"), preview=".webp"),
    DemoLora("concepts/glass_sd3_loha.safetensors", "SD3", adapter="loha", options={"blocks": [
             f"joint_blocks.{i}" for i in range(12)], "text_encoder": False, "alpha": 2}, words=("glass",),
             tags=("concept",), preview=None, sidecars=("metadata_json", "civitai_info")),
    DemoLora("concepts/motion_wan_lokr.safetensors", "WAN", "comfy", adapter="lokr", options={"alpha": 2},
             header=None, words=("slow pan",), tags=("concept", "video")),
    DemoLora("concepts/model_diff_sd15.safetensors", "SD15", "comfy", adapter="full", header=None,
             tags=("concept",), preview=None, sidecars=()),
    DemoLora("concepts/poses/nested/pose_sd15_diffusers.safetensors", "SD15", "diffusers",
             options={"blocks": ["input_blocks", "middle_block"], "alpha": 4}, words=("dynamic pose",),
             tags=("concept", "pose"), preview=".png"),
    DemoLora("quick_test_sd15.safetensors", "SD15", options={"blocks": ["output_blocks.11"], "text_encoder": False},
             header=None, preview=None, sidecars=()),
)


def _header(item: DemoLora, rank: int, alpha: float | None) -> dict[str, str] | None:
    title = Path(item.rel).stem.replace("_", " ")
    kohya = kohya_metadata(item.arch, rank=rank, alpha=alpha, adapter=item.adapter,
                           tags={w: 20 for w in item.words} or None)
    spec = modelspec_metadata(item.arch, title=title, adapter=item.adapter)
    return {"kohya": kohya, "modelspec": spec, "both": {**kohya, **spec}, None: None}[item.header]


def make_demo_library(root: str | Path, seed: int = 0) -> list[LoraSpec]:
    """Write `DEMO_LORAS` (and their sidecars) under `root`; returns the written specs in order."""
    root = Path(root)
    specs = []
    for i, item in enumerate(DEMO_LORAS):
        opts = dict(item.options)
        rank, alpha = opts.pop("rank", 4), opts.pop("alpha", None)
        spec = make_lora(root / item.rel, item.arch, item.naming, item.adapter, rank=rank, alpha=alpha,
                         metadata=_header(item, rank, alpha), seed=seed + i, **opts)
        if item.sidecars or item.preview:
            write_sidecars(spec.path, item.lineage or item.arch, trigger_words=item.words, tags=item.tags,
                           description=f"Demo LoRA {Path(item.rel).stem}", preview=item.preview,
                           metadata_json="metadata_json" in item.sidecars,
                           civitai_info="civitai_info" in item.sidecars, plain_json="json" in item.sidecars,
                           seed=seed + i)
        specs.append(spec)
    return specs


DEMO_WORKFLOW = "scheduled_loras_sdxl"


def demo_url(base_url: str, pack_folder: str, workflow: str = DEMO_WORKFLOW) -> str:
    """The page that opens `example_workflows/<workflow>.json`: ComfyUI lists each custom node's
    example_workflows/ as templates, and the frontend opens `?template=NAME&source=PACK_FOLDER`."""
    return f"{base_url}/?{urlencode({'template': workflow, 'source': pack_folder})}"
