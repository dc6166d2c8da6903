"""One schedule item -> one scheduled, block-weighted LoRA hook group (ComfyUI glue).

Every failure names the item: which LoRA, and what is wrong with it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import comfy.hooks
import comfy.lora
import folder_paths

from ..modules.arch.ids import UNKNOWN
from ..modules.blocks.layouts import module_of_key, normalise_module
from ..modules.blocks.templates import TemplateError, is_template
from ..modules.blocks.weights import module_multipliers
from ..modules.inspection.lora_facts import describe_lora
from ..modules.inspection.lora_names import LoraNameError, resolve_lora_name
from ..modules.library.template_resolve import resolve_item_for_file
from ..modules.schedule.clip_curve import compile_clip_curve
from ..modules.schedule.curves import Keyframe, compile_curve
from ..modules.schedule.model import LoraItem
from .lora_loading import load_lora_state_dict
from .scheduled_hooks import ClipKeyframedGroup, create_block_weighted_hook

log = logging.getLogger(__name__)

# Strengths closer to zero than this count as zero (seed 004 skips such LoRAs).
ZERO_STRENGTH = 1e-6


class LoraItemError(ValueError):
    """A schedule item that cannot be applied; the message starts with the LoRA's name."""


@dataclass
class BuiltLora:
    lora_name: str
    arch: str
    hooks: comfy.hooks.HookGroup | None
    skipped: str | None
    trigger_words: tuple[str, ...]
    path: str = ""


def resolve_lora_path(lora_name: str) -> tuple[str, str]:
    """(name as ComfyUI lists it, full path) for a LoRA name, stem or path under `loras`."""
    try:
        name = resolve_lora_name(lora_name, folder_paths.get_filename_list("loras"))
    except LoraNameError as err:
        raise LoraItemError(str(err)) from None
    return name, folder_paths.get_full_path_or_raise("loras", name)


def resolve_item_path(item: LoraItem) -> tuple[str, str]:
    """(name as ComfyUI lists it, full path) for the item's LoRA."""
    return resolve_lora_path(item.lora_name)


def resolve_template(item: LoraItem, find_profile) -> LoraItem:
    """The item with a preset that names a saved profile resolved into its block values (templates.py);
    LoraItemError naming the LoRA, the profile and the problem when it does not fit."""
    if not is_template(item.preset):
        return item
    name, path = resolve_item_path(item)
    try:
        arch = item.arch if item.arch and item.arch != UNKNOWN else describe_lora(path).arch.arch
        return resolve_item_for_file(item, arch, path, find_profile)
    except (OSError, ValueError) as err:
        raise LoraItemError(str(err) if isinstance(err, TemplateError) else f"LoRA {name!r}: {err}") from None


def _hook_keyframes(keyframes: list[Keyframe]) -> list[comfy.hooks.HookKeyframe]:
    return [comfy.hooks.HookKeyframe(k.strength, k.start_percent, k.guarantee_steps) for k in keyframes]


def keyframe_group(keyframes: list[Keyframe], clip_keyframes: list[Keyframe] | None = None
                   ) -> comfy.hooks.HookKeyframeGroup:
    """The exact keyframes for the diffusion model and, for the text encoder, `clip_keyframes` (default:
    the same). Lists are assigned at once: HookKeyframeGroup.add re-sorts the whole list on every call."""
    return ClipKeyframedGroup(_hook_keyframes(keyframes), _hook_keyframes(clip_keyframes or keyframes))


@dataclass(frozen=True)
class ModelKeys:
    """ComfyUI's LoRA key map of a model's diffusion model, and the model's class name for messages."""

    key_map: dict
    model_name: str


def model_keys(model) -> ModelKeys | None:
    """The connected model's keys (None without a model): built once per node run, for every LoRA of it."""
    if model is None:
        return None
    return ModelKeys(comfy.lora.model_lora_keys_unet(model.model, {}), type(model.model).__name__)


def build_lora(item: LoraItem, keys: ModelKeys | None = None) -> BuiltLora:
    """The item's hooks; with `keys` (see `model_keys`) a LoRA that matches no layer is an error."""
    name, path = resolve_item_path(item)
    where = f"LoRA {name!r}"
    for what, value in (("strength_model", item.strength_model), ("strength_clip", item.strength_clip)):
        if not math.isfinite(value):
            raise LoraItemError(f"{where}: {what} is {value}, not a finite number")
    try:
        facts = describe_lora(path)
    except (OSError, ValueError) as err:
        raise LoraItemError(f"{where}: cannot read the file: {err}") from None
    arch = item.arch if item.arch and item.arch != UNKNOWN else facts.arch.arch
    triggers = facts.trigger_words
    if abs(item.strength_model) < ZERO_STRENGTH and abs(item.strength_clip) < ZERO_STRENGTH:
        return BuiltLora(name, arch, None, "both strengths are 0", triggers)
    try:
        keyframes = compile_curve(item.points)
    except ValueError as err:
        raise LoraItemError(f"{where}: curve: {err}") from None
    if keyframes is None:
        return BuiltLora(name, arch, None, "its curve is 0 everywhere", triggers)
    sd = load_lora_state_dict(path)
    try:
        multipliers = module_multipliers(arch, sd.keys(), item.preset, item.vectors)
    except ValueError as err:
        raise LoraItemError(f"{where}: {err}") from None
    if keys is not None:
        check_matches_model(where, arch, sd, keys)
    hooks = create_block_weighted_hook(sd, item.strength_model, item.strength_clip, multipliers)
    hooks.set_keyframes_on_hooks(keyframe_group(keyframes, compile_clip_curve(item.points)))
    return BuiltLora(name, arch, hooks, None, triggers, path)


def check_matches_model(where: str, arch: str, sd: dict, keys: ModelKeys) -> None:
    """Raise when none of the LoRA's diffusion-model layers is in the model's key map; log partial mismatches."""
    key_map = keys.key_map
    modules = {module_of_key(k)[0] for k in sd}
    model_modules = {m for m in modules if normalise_module(m).scope == "model"}
    missing = sorted(m for m in model_modules if m not in key_map)
    if model_modules and len(missing) == len(model_modules):
        raise LoraItemError(f"{where} ({arch}) matches no layer of the connected model ({keys.model_name}); "
                            f"is it a LoRA for another architecture? e.g. {missing[0]!r}")
    if missing:
        log.warning("%s: %d of %d diffusion-model layers are not in the model and will not be applied, e.g. %s",
                    where, len(missing), len(model_modules), missing[:3])
