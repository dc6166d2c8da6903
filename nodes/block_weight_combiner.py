"""LoRA Block-Weight Combiner: several LoRAs checked together, measured per block, scaled by a policy.

Outputs the set four ways: MODEL/CLIP that apply the HOOKS on their own (like the loader's MODEL:
with HOOKS also connected through Set CLIP Hooks or conditioning, each LoRA is applied once), HOOKS
(scheduled, block-weighted, like the loader's),
the schedule string (chains into the Multi Scheduled LoRA Loader) and, per LoRA, the strengths and
block vector for an Inspire "LoRA Loader (Block Weight)" node; plus a report. The maths and the
policies are in modules/combiner; this file only gathers the inputs and applies the result.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing

import comfy.hooks
import comfy.lora
import folder_paths

from ..modules.blocks.templates import TemplateError
from ..modules.combiner.combiner_config import read_combiner_config
from ..modules.combiner.config_sets import ConfigSetStore, config_sets_dir
from ..modules.combiner.engine import CombineInput, CombineResult, combine
from ..modules.combiner.inputs import UnreadableLora, combine_inputs
from ..modules.combiner.policies import DEFAULT_HEADROOM, POLICIES
from ..modules.combiner.report import lora_config_text, outputs_dict, report_text
from ..modules.combiner.response import combine_response
from ..modules.combiner.stack import stack_items
from ..modules.library import compositions, default_db_path
from ..modules.library.schema import SchemaError, connect
from ..modules.schedule.model import ScheduleError
from ..modules.schedule.parse import parse_schedule_string
from ..modules.schedule.serialize import serialize_schedule
from .library_access import find_profile, record_usage
from .lora_hook_builder import LoraItemError, build_lora, model_keys, resolve_lora_path
from .scheduled_hooks import clip_with_hooks, model_with_hooks

NAME = "LoRA Block-Weight Combiner"
log = logging.getLogger(__name__)


def gather_inputs(combiner_config: str, schedule_string: str | None, lora_stack) -> list[CombineInput]:
    """The enabled items of the editor config (with their saved profiles), then the LORA_STACK, then the
    schedule string."""
    try:
        items, profiles = read_combiner_config(combiner_config)
    except ScheduleError as err:
        raise ValueError(f"{NAME}: combiner_config: {err}") from None
    items += stack_items(lora_stack)
    try:
        items += parse_schedule_string(schedule_string)
    except ScheduleError as err:
        raise ValueError(f"{NAME}: schedule_string {err}") from None
    profiles += [None] * (len(items) - len(profiles))
    try:
        return combine_inputs(items, resolve_lora_path, find_profile, profiles)
    except (LoraItemError, UnreadableLora, TemplateError) as err:
        raise ValueError(f"{NAME}: {err}") from None


def combined_hooks(result: CombineResult, model=None):
    """One hook group with every combined LoRA at its computed strengths and block values (None if empty)."""
    groups = []
    keys = model_keys(model)
    for item in result.schedule_items():
        try:
            built = build_lora(item, keys)
        except LoraItemError as err:
            raise ValueError(f"{NAME}: {err}") from None
        if built.hooks is not None:
            groups.append(built.hooks)
    return comfy.hooks.HookGroup.combine_all_hooks(groups) if groups else None


class LoraBlockWeightCombiner:
    NODE_ID = "LoraBlockWeightCombiner"
    DISPLAY_NAME = NAME
    CATEGORY = "loaders/lora weights builder"
    DESCRIPTION = ("Checks several LoRAs together (same base model and layout), measures each block's combined "
                   "weight change exactly and scales it by a policy. Outputs MODEL/CLIP (each LoRA applied once, "
                   "also with HOOKS connected), HOOKS, a schedule string for the Multi Scheduled LoRA Loader, "
                   "per-LoRA Inspire block vectors, a report and a LORA_STACK of the computed strengths.")
    RETURN_TYPES = ("MODEL", "CLIP", "HOOKS", "STRING", "STRING", "STRING", "LORA_STACK")
    RETURN_NAMES = ("MODEL", "CLIP", "HOOKS", "schedule_string", "lora_configs", "report", "lora_stack")
    FUNCTION = "process"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "combiner_config": ("STRING", {"default": "[]", "multiline": False, "hidden": True,
                                               "tooltip": "JSON written by the editor: a list of LoRA items."}),
                "policy": (list(POLICIES), {"default": POLICIES[0],
                                            "tooltip": "interference: cap each block's combined change, "
                                                       "cutting LoRAs that overlap others more than orthogonal "
                                                       "ones; budget: cap it with one factor per block; "
                                                       "weighted: strengths unchanged; role_aware: budget, "
                                                       "lower-priority roles (by folder) scaled first."}),
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
        hooks = combined_hooks(result, model)
        out_model = out_clip = None
        if model is not None:
            out_model = model_with_hooks(model, hooks) if hooks is not None else model.clone()
        if clip is not None:
            out_clip = clip_with_hooks(clip, hooks) if hooks is not None else clip.clone()
        record_usage(NAME, [inputs[k].path for k in result.included])
        schedule = serialize_schedule(items)
        if save_as and save_as.strip():
            try:
                config_set_store().save(save_as.strip(), {"policy": policy, "headroom": headroom,
                                                          "loras": [lora_config(i) for i in inputs]},
                                        outputs_dict(result, schedule), {i.name: i.path for i in inputs})
            except ValueError as err:
                raise ValueError(f"{NAME}: {err}") from None
        record_composition(inputs, policy, headroom, result)
        stack = [(item.lora_name, item.strength_model, item.strength_clip) for item in items]
        return (out_model, out_clip, hooks, schedule, lora_config_text(result), report_text(result), stack)


def record_composition(inputs: list[CombineInput], policy: str, headroom: float, result: CombineResult) -> None:
    """Add this run to the composition history (the library database in ComfyUI's user directory).

    History is a convenience: a database that cannot be written is logged, it does not fail the run."""
    request = {"loras": [lora_config(i) for i in inputs], "policy": policy, "headroom": headroom}
    try:
        with closing(connect(default_db_path(folder_paths.get_user_directory()))) as conn:
            compositions.record(conn, "node", request, combine_response(result, inputs))
    except (sqlite3.Error, OSError, SchemaError) as err:
        log.warning("%s: the composition could not be added to the history: %s", NAME, err)


def lora_config(inp: CombineInput) -> dict:
    """One LoRA as it ran: its item with the block values resolved, and the saved profile they came from."""
    return {**inp.item.to_config(), "profile": inp.profile} if inp.profile else inp.item.to_config()


def config_set_store() -> ConfigSetStore:
    """Saved configuration sets live in ComfyUI's user directory, never beside the models."""
    return ConfigSetStore(config_sets_dir(folder_paths.get_user_directory()))


NODES = (LoraBlockWeightCombiner,)
