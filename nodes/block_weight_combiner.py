"""LoRA Block-Weight Combiner: several LoRAs checked together, measured per block, scaled by a policy.

Outputs the set four ways: MODEL/CLIP with classic patches (constant strength: a LoRA's curve only
acts through HOOKS and the schedule string), HOOKS (scheduled, block-weighted, like the loader's),
the schedule string (chains into the Multi Scheduled LoRA Loader) and, per LoRA, the strengths and
block vector for an Inspire "LoRA Loader (Block Weight)" node; plus a report. The maths and the
policies are in modules/combiner; this file only gathers the inputs and applies the result.
"""

from __future__ import annotations

import comfy.hooks
import comfy.lora
import folder_paths

from ..modules.blocks.patch_groups import group_by_multiplier
from ..modules.blocks.weights import module_multipliers
from ..modules.combiner.config_sets import ConfigSetStore, config_sets_dir
from ..modules.combiner.engine import CombineInput, CombineResult, combine
from ..modules.combiner.inputs import UnreadableLora, combine_inputs
from ..modules.combiner.policies import DEFAULT_HEADROOM, POLICIES
from ..modules.combiner.report import lora_config_text, outputs_dict, report_text
from ..modules.combiner.stack import stack_items
from ..modules.schedule.model import ScheduleError
from ..modules.schedule.parse import parse_schedule_config, parse_schedule_string
from ..modules.schedule.serialize import serialize_schedule
from .lora_hook_builder import LoraItemError, build_lora, model_keys, resolve_lora_path
from .lora_loading import load_lora_state_dict

NAME = "LoRA Block-Weight Combiner"


def gather_inputs(combiner_config: str, schedule_string: str | None, lora_stack) -> list[CombineInput]:
    """The enabled items of the editor config, then the LORA_STACK, then the schedule string."""
    try:
        items = parse_schedule_config(combiner_config)
    except ScheduleError as err:
        raise ValueError(f"{NAME}: combiner_config: {err}") from None
    items += stack_items(lora_stack)
    try:
        items += parse_schedule_string(schedule_string)
    except ScheduleError as err:
        raise ValueError(f"{NAME}: schedule_string {err}") from None
    try:
        return combine_inputs(items, resolve_lora_path)
    except (LoraItemError, UnreadableLora) as err:
        raise ValueError(f"{NAME}: {err}") from None


def apply_classic(result: CombineResult, inputs: list[CombineInput], model, clip):
    """MODEL/CLIP clones with each combined LoRA patched like ComfyUI's LoRA loader, per-module strength
    = strength × block value (keys grouped by value, as the hooks do)."""
    new_model = model.clone() if model is not None else None
    new_clip = clip.clone() if clip is not None else None
    key_map = {}
    if new_model is not None:
        key_map = comfy.lora.model_lora_keys_unet(new_model.model, key_map)
    if new_clip is not None:
        key_map = comfy.lora.model_lora_keys_clip(new_clip.cond_stage_model, key_map)
    if not key_map:
        return new_model, new_clip
    for k in result.included:
        lora, inp = result.loras[k], inputs[k]
        sd = load_lora_state_dict(inp.path)
        try:
            multipliers = module_multipliers(inp.arch, sd.keys(), None, lora.item.vectors)
        except ValueError as err:
            raise ValueError(f"{NAME}: LoRA {lora.name!r}: {err}") from None
        patches = comfy.lora.load_lora(sd, key_map, log_missing=False)
        for multiplier, group in group_by_multiplier(patches, key_map, sd, multipliers):
            if new_model is not None and lora.strength_model != 0:
                new_model.add_patches(group, lora.strength_model * multiplier)
            if new_clip is not None and lora.strength_clip != 0:
                new_clip.add_patches(group, lora.strength_clip * multiplier)
    return new_model, new_clip


class LoraBlockWeightCombiner:
    NODE_ID = "LoraBlockWeightCombiner"
    DISPLAY_NAME = NAME
    CATEGORY = "loaders/lora weights builder"
    DESCRIPTION = ("Checks several LoRAs together (same base model and layout), measures each block's combined "
                   "weight change exactly and scales it by a policy. Outputs MODEL/CLIP (constant strength), "
                   "HOOKS, a schedule string for the Multi Scheduled LoRA Loader, per-LoRA Inspire block vectors "
                   "and a report.")
    RETURN_TYPES = ("MODEL", "CLIP", "HOOKS", "STRING", "STRING", "STRING")
    RETURN_NAMES = ("MODEL", "CLIP", "HOOKS", "schedule_string", "lora_configs", "report")
    FUNCTION = "process"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "combiner_config": ("STRING", {"default": "[]", "multiline": False, "hidden": True,
                                               "tooltip": "JSON written by the editor: a list of LoRA items."}),
                "policy": (list(POLICIES), {"default": POLICIES[0],
                                            "tooltip": "budget: cap each block's combined change; weighted: "
                                                       "strengths unchanged; role_aware: budget, lower-priority "
                                                       "roles (by folder) scaled first."}),
                "headroom": ("FLOAT", {"default": DEFAULT_HEADROOM, "min": 0.05, "max": 100.0, "step": 0.05,
                                       "tooltip": "Block budget = headroom × the largest single LoRA's change "
                                                  "in that block at strength 1."}),
            },
            "optional": {
                "model": ("MODEL",),
                "clip": ("CLIP",),
                "schedule_string": ("STRING", {"forceInput": True, "multiline": True}),
                "lora_stack": ("LORA_STACK",),
                "save_as": ("STRING", {"default": "", "tooltip": "When set, the computed configuration is saved "
                                                                 "under this name (list and reload it from "
                                                                 "/mad-nodes/config-sets)."}),
            },
        }

    def process(self, combiner_config: str, policy: str, headroom: float, model=None, clip=None,
                schedule_string=None, lora_stack=None, save_as=""):
        inputs = gather_inputs(combiner_config, schedule_string, lora_stack)
        try:
            result = combine(inputs, policy, headroom)
        except (ValueError, OSError) as err:
            raise ValueError(f"{NAME}: {err}") from None
        items = result.schedule_items()
        groups = []
        keys = model_keys(model)
        for item in items:
            try:
                built = build_lora(item, keys)
            except LoraItemError as err:
                raise ValueError(f"{NAME}: {err}") from None
            if built.hooks is not None:
                groups.append(built.hooks)
        hooks = comfy.hooks.HookGroup.combine_all_hooks(groups) if groups else None
        out_model, out_clip = apply_classic(result, inputs, model, clip)
        schedule = serialize_schedule(items)
        if save_as and save_as.strip():
            try:
                config_set_store().save(save_as.strip(), {"policy": policy, "headroom": headroom,
                                                          "loras": [i.item.to_config() for i in inputs]},
                                        outputs_dict(result, schedule), {i.name: i.path for i in inputs})
            except ValueError as err:
                raise ValueError(f"{NAME}: {err}") from None
        return (out_model, out_clip, hooks, schedule, lora_config_text(result), report_text(result))


def config_set_store() -> ConfigSetStore:
    """Saved configuration sets live in ComfyUI's user directory, never beside the models."""
    return ConfigSetStore(config_sets_dir(folder_paths.get_user_directory()))


NODES = (LoraBlockWeightCombiner,)
