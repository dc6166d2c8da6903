"""A large generated LoRA library whose facts are known in advance, for the library tab's browser tests.

    plan = plan_library(2000)            # what each file will be: folder, arch, rank, clip, preview, ...
    write_library(loras_dir, plan)       # real safetensors headers; tensor data is a sparse hole

Every file is a valid safetensors file with the key names and shapes trainers write (the factory's
`plan_modules`), kohya metadata naming its base model, and a sparse data section, so thousands are
written in seconds and take little disk. Expected counts for any filter combination are computed from
the plan (`count`), independently of the library index under test: family from the planned
architecture, role from the folder (the role table's documented folder names), rank, text-encoder
weights, preview and sidecar as planned.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .lora_factory import plan_modules
from .sidecars import write_preview

ARCHS = (("SDXL", 0.5), ("SD15", 0.3), ("FLUX.1", 0.2))
KOHYA_BASE = {"SD15": "sd_v1", "SDXL": "sdxl_base_v1-0", "FLUX.1": "flux1"}
# folder -> the role the library's folder table gives it ("misc" matches no role).
FOLDERS = {"characters": "character", "styles": "style", "concepts": "concept", "poses": "pose",
           "clothing": "clothing", "misc": "other"}
RANKS = (4, 8, 16, 32)
WORDS = ("aiko", "ranger", "watercolor", "neon", "knight", "pilot", "dancer", "pixel", "grain", "glass", "armor",
         "kimono", "forest", "portrait", "sketch", "velvet")

@dataclass(frozen=True)
class PlannedLora:
    rel: str          # ComfyUI name, '/'-separated
    folder: str       # top folder (role source)
    arch: str
    rank: int
    clip: bool        # has text-encoder weights
    preview: bool
    sidecar: bool
    words: tuple[str, ...]

    @property
    def family(self) -> str:
        return self.arch

    @property
    def role(self) -> str:
        return FOLDERS[self.folder]


def plan_library(count: int, seed: int = 0) -> list[PlannedLora]:
    rng = random.Random(seed)
    plan = []
    for i in range(count):
        arch = rng.choices([a for a, _ in ARCHS], [w for _, w in ARCHS])[0]
        folder = rng.choice(list(FOLDERS))
        words = tuple(rng.sample(WORDS, 2))
        sidecar = i % 3 == 0
        plan.append(PlannedLora(
            rel=f"{folder}/{arch.lower().replace('.', '')}/{words[0]}_{words[1]}_{i:05d}.safetensors",
            folder=folder, arch=arch, rank=rng.choice(RANKS), clip=rng.random() < 0.4,
            preview=sidecar or i % 7 == 0, sidecar=sidecar, words=words))
    return plan


def count(plan: list[PlannedLora], where: Callable[[PlannedLora], bool]) -> int:
    return sum(1 for p in plan if where(p))


def _tensors(arch: str, rank: int, clip: bool) -> tuple[bytes, int]:
    """The tensor entries of a header (after `__metadata__`, without the opening brace) and the data size."""
    entries, offset = [], 0

    def add(key: str, shape: list[int], nbytes: int | None = None) -> None:
        nonlocal offset
        n = nbytes if nbytes is not None else math.prod(shape) * 2
        entries.append((key, {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + n]}))
        offset += n

    for m in plan_modules(arch, "kohya", "lora", text_encoder=clip):
        out_dim, in_dim, kernel = m.shape[0], m.shape[1], list(m.shape[2:])
        r = min(rank, out_dim, in_dim)
        add(m.name + ".alpha", [], 2)
        add(m.name + ".lora_down.weight", [r, in_dim, *kernel])
        add(m.name + ".lora_up.weight", [out_dim, r, *([1] * len(kernel))])
    entries.sort()
    return json.dumps(dict(entries), separators=(",", ":")).encode()[1:], offset


def write_library(root: Path, plan: list[PlannedLora]) -> None:
    templates: dict[tuple, tuple[bytes, int]] = {}
    png: bytes | None = None
    for i, p in enumerate(plan):
        key = (p.arch, p.rank, p.clip)
        if key not in templates:
            templates[key] = _tensors(*key)
        tensors, data_size = templates[key]
        metadata = {"ss_base_model_version": KOHYA_BASE[p.arch], "ss_network_dim": str(p.rank),
                    "ss_network_alpha": str(p.rank), "ss_output_name": f"{p.words[0]}_{i}"}
        raw = b'{"__metadata__":' + json.dumps(metadata, separators=(",", ":")).encode() + b"," + tensors
        raw += b" " * (-len(raw) % 8)
        path = root / p.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.write(len(raw).to_bytes(8, "little"))
            f.write(raw)
            f.truncate(8 + len(raw) + data_size)  # sparse: the tensor data takes no disk
        if p.sidecar:
            side = {"model_name": f"{p.words[0]} {p.words[1]}", "base_model": p.arch,
                    "civitai": {"trainedWords": list(p.words)}}
            (path.parent / f"{path.stem}.metadata.json").write_text(json.dumps(side))
        if p.preview:
            target = path.parent / f"{path.stem}.preview.png"
            if png is None:
                png = write_preview(target, seed=1).read_bytes()  # one real image, copied: previews only need to decode
            else:
                target.write_bytes(png)
