"""Base-model names -> architecture ids (Civitai `baseModel`, kohya `ss_base_model_version`, modelspec,
tags, file names).

Names match on word boundaries after camelCase is split ("ponyDiffusionV6XL" -> "pony diffusion v6 xl"),
so "chromatic" is not Chroma and "Laura" is not AuraFlow. Rules are tried in order: the more specific
names first ("Pony V7" is AuraFlow before "pony" is SDXL_PONY; "flux 2" before "flux").
"""

from __future__ import annotations

import functools
import re

from .ids import (
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
    SDXL_ILLUSTRIOUS,
    SDXL_NOOBAI,
    SDXL_PONY,
    WAN,
    ZIMAGE,
)

_L = r"(?<![a-z0-9])"  # nothing alphanumeric before the name
_R = r"(?![a-z])"  # no letter after it (digits may follow: "lumina2", "wan2.1", "sd15")
_SEP = r"[\s_.-]*"

_NAME_RULES: tuple[tuple[str, str], ...] = (
    (rf"pony{_SEP}v?7", AURAFLOW),  # Pony V7 is an AuraFlow fine-tune, not SDXL
    (rf"flux{_SEP}2", FLUX2),
    (rf"flux(?:{_SEP}1)?", FLUX1),  # "Flux.1 D", "Flux.1 S", "flux1", "flux-1-dev", "FLUX"
    (r"chroma", CHROMA),
    (rf"z{_SEP}image(?:{_SEP}turbo)?", ZIMAGE),
    (r"lumina", LUMINA2),
    (rf"hi{_SEP}dream", HIDREAM),
    (r"qwen", QWEN_IMAGE),
    (rf"aura{_SEP}flow", AURAFLOW),
    (rf"hunyuan{_SEP}video|hyvid", HUNYUAN_VIDEO),
    (rf"wan(?:{_SEP}video)?", WAN),
    (r"pony", SDXL_PONY),
    (r"illustrious", SDXL_ILLUSTRIOUS),
    (rf"noob(?:{_SEP}ai)?", SDXL_NOOBAI),
    (rf"playground{_SEP}v?2", SDXL),  # Playground v2 / v2.5 run on the SDXL UNet
    (rf"sd{_SEP}xl|stable{_SEP}diffusion{_SEP}xl|xl", SDXL),
    (rf"sd{_SEP}v?3|stable{_SEP}diffusion{_SEP}v?3", SD3),
    (rf"sd{_SEP}v?2|stable{_SEP}diffusion{_SEP}v?2", SD21),
    (rf"sd{_SEP}v?1|stable{_SEP}diffusion{_SEP}v?1|v1{_SEP}5", SD15),  # "v1-5-pruned.safetensors"
)
_NAME_SEARCH = tuple((re.compile(_L + f"(?:{p})" + _R), arch) for p, arch in _NAME_RULES)
_NAME_FULL = tuple((re.compile(f"(?:{p})(?:{_SEP}[0-9][0-9.]*)?"), arch) for p, arch in _NAME_RULES)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _normalise_name(text: str) -> str:
    # "ponyDiffusionV6XL" -> "pony diffusion v6 xl" so word boundaries work on file names too
    return _CAMEL.sub(" ", text).lower().strip()


def map_base_model_string(text: str) -> str | None:
    """The architecture a base-model string names ("SDXL 1.0", "Flux.1 D", "sd_v1", ...), or None."""
    return _search_name(text) if isinstance(text, str) else None


def map_tag(tag: str) -> str | None:
    """A free-form tag counts only when the whole tag is a base-model name ("pony", not "my little pony")."""
    return _full_name(tag) if isinstance(tag, str) else None


# Memoised (bounded, thread-safe): a library index maps the same few base-model strings and tags per file.
@functools.lru_cache(maxsize=4096)
def _search_name(text: str) -> str | None:
    norm = _normalise_name(text)
    return next((arch for rx, arch in _NAME_SEARCH if rx.search(norm)), None)


@functools.lru_cache(maxsize=4096)
def _full_name(tag: str) -> str | None:
    norm = _normalise_name(tag)
    return next((arch for rx, arch in _NAME_FULL if rx.fullmatch(norm)), None)
