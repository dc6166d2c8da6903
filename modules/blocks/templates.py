"""Profiles as preset templates: `preset=NAME` names a saved block-weight profile when NAME is not a
built-in preset.

A template is resolved for one LoRA: its layout must be the LoRA's layout, and its length one of
that layout's depth variants that holds every block the LoRA has (SD3 medium 24 / large 38 ...).
The resolved item keeps the preset name and carries the whole vector (`vectors`, explicit values of
the item on top), so the serialized schedule string (`preset=NAME:vectors=...`) runs the same on a
machine where the profile does not exist. Every failure names the profile, the LoRA and the problem.

`find_profile(name)` returns `{"name", "layout", "weights"}` or None; the nodes and routes read it
from the library database (`library/profiles.py`); this module never touches storage.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable

from .layouts import layout_for, main_blocks, split_block_id
from .presets import PRESET_STRATEGIES

log = logging.getLogger(__name__)

CUSTOM = "CUSTOM"
FindProfile = Callable[[str], "dict | None"]


class TemplateError(ValueError):
    """A template that cannot be used for a LoRA; `field` is the key that named it ("preset" or "profile")."""

    def __init__(self, message: str, field: str = "preset"):
        super().__init__(message)
        self.field = field


class UnknownProfile(TemplateError):
    """A profile name the profile store does not know (and no block values written with it)."""


def is_template(preset: str | None) -> bool:
    """Whether `preset` names a profile (neither empty, CUSTOM nor a built-in preset)."""
    return bool(preset) and preset != CUSTOM and preset not in PRESET_STRATEGIES


def template_vector(profile: dict, arch: str, blocks_present: Iterable[str], lora_name: str) -> dict[str, float]:
    """{block: weight} of `profile` laid over the main blocks of a LoRA of `arch` with `blocks_present`."""
    name, weights = profile["name"], list(profile["weights"])
    where = f"profile {name!r} on LoRA {lora_name!r}"
    layout = layout_for(arch)
    if layout is None:
        raise TemplateError(f"{where}: the LoRA's architecture {arch} has no block layout "
                            f"(the profile is for {profile['layout']})")
    if layout.name != profile["layout"]:
        raise TemplateError(f"{where}: the profile is for layout {profile['layout']}, the LoRA ({arch}) has "
                            f"layout {layout.name}")
    highest: dict[str, int] = {}
    for block in blocks_present:
        section, index = split_block_id(block)
        if section in layout.sections and index is not None:
            highest[section] = max(highest.get(section, -1), index)
    fitting = []
    for variant in layout.variants:
        counts = dict(zip(layout.sections, variant, strict=True))
        if all(highest.get(s, -1) < counts[s] for s in layout.sections):
            blocks = main_blocks(layout, counts)
            if len(blocks) == len(weights):
                return {b: float(w) for b, w in zip(blocks, weights, strict=True)}
            fitting.append(len(blocks))
    lengths = " or ".join(map(str, sorted(set(fitting)))) or "none"
    raise TemplateError(f"{where}: the profile has {len(weights)} values, a {layout.name} LoRA with these blocks "
                        f"needs {lengths} (one per block)")


def resolve_item(item, arch: str, blocks_present: Iterable[str], find_profile: FindProfile):
    """`item` (a schedule LoraItem) with a template preset resolved into its vectors; other items as they are.

    A template the profile store does not know is kept as written when the item carries vectors (a string
    written elsewhere: its vectors are the resolved ones); without vectors it is an error.
    """
    preset = item.preset
    if not is_template(preset):
        return item
    unknown = (f"LoRA {item.lora_name!r}: preset {preset!r} is neither a built-in preset "
               f"({', '.join(PRESET_STRATEGIES)}) nor a saved profile")
    return lay_profile(item, preset, arch, blocks_present, find_profile, unknown, "preset")


def lay_profile(item, name: str, arch: str, blocks_present: Iterable[str], find_profile: FindProfile,
                unknown: str, field: str):
    """`item` with the saved profile `name` laid over its blocks, the item's explicit values on top.

    The one resolution behind `preset=NAME` and the combiner's per-LoRA `profile`. A profile the store does
    not know is skipped when the item carries vectors (written with the profile's values elsewhere, e.g. a
    workflow from another machine); without vectors it is an `UnknownProfile` with the message `unknown`.
    Errors carry `field`, the key that named the profile.
    """
    profile = find_profile(name)
    if profile is None:
        if item.vectors:
            log.info("LoRA %r: profile %r is not saved here; using the block values written with it",
                     item.lora_name, name)
            return item
        raise UnknownProfile(unknown, field)
    try:
        vector = template_vector(profile, arch, blocks_present, item.lora_name)
    except TemplateError as err:
        raise TemplateError(str(err), field) from None
    vector.update(item.vectors)
    return dataclasses.replace(item, vectors=vector)
