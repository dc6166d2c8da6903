"""Multi Scheduled LoRA Loader: several LoRAs, each with a strength curve and block weights, as hooks.

I/O and operation modes are seed 004's; see modules/operation_modes.py for the modes. The MODEL
output applies the hooks on its own (no Set CLIP Hooks needed); HOOKS drives the text encoder
through Set CLIP Hooks; both connected apply each LoRA once.
"""

from __future__ import annotations

import logging

import comfy.hooks

from ..modules.inspection.lora_facts import describe_lora
from ..modules.inspection.sidecars import unique_sorted_words
from ..modules.schedule.model import ScheduleError
from ..modules.schedule.operation_modes import plan_operation
from ..modules.schedule.parse import parse_schedule_config
from ..modules.schedule.prompt_tags import prompt_without_tags
from .library_access import find_profile, record_usage
from .lora_hook_builder import LoraItemError, build_lora, model_keys, resolve_item_path, resolve_template
from .scheduled_hooks import model_with_hooks

log = logging.getLogger(__name__)


class MultiScheduledLoraLoader:
    NODE_ID = "MultiScheduledLoraLoader"
    DISPLAY_NAME = "Multi Scheduled LoRA Loader"
    CATEGORY = "advanced/hooks/scheduling"
    DESCRIPTION = ("Applies several LoRAs as hooks, each with a strength curve over the sampling run and "
                   "per-block weights. MODEL works on its own; HOOKS goes to Set CLIP Hooks for the text encoder. "
                   "schedule_string also takes prompt text with <lora:name:weight[:clip]> tags; prompt is that text "
                   "without them; lora_stack lists the applied LoRAs for LORA_STACK nodes.")
    # The seed's four outputs first and unchanged (saved workflows link them by index); new ones appended.
    RETURN_TYPES = ("MODEL", "HOOKS", "STRING", "STRING", "LORA_STACK", "STRING")
    RETURN_NAMES = ("MODEL", "HOOKS", "schedule_string", "trigger_words", "lora_stack", "prompt")
    FUNCTION = "process"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "schedule_config": ("STRING", {"default": "[]", "multiline": False, "hidden": True,
                                               "tooltip": "JSON written by the editor: a list of LoRA items or a "
                                                          "profiles object."}),
            },
            "optional": {
                "model": ("MODEL",),
                "previous_hooks": ("HOOKS",),
                "schedule_string": ("STRING", {"forceInput": True, "multiline": True}),
            },
        }

    def process(self, schedule_config: str, model=None, previous_hooks=None, schedule_string=None):
        try:
            internal = parse_schedule_config(schedule_config)
        except ScheduleError as err:
            raise ValueError(f"Multi Scheduled LoRA Loader: schedule_config: {err}") from None
        try:
            plan = plan_operation(internal, schedule_string, previous_hooks is not None,
                                  resolve=lambda item: resolve_template(item, find_profile))
        except ScheduleError as err:
            raise ValueError(f"Multi Scheduled LoRA Loader: schedule_string {err}") from None
        groups: list[comfy.hooks.HookGroup] = [previous_hooks] if plan.use_previous_hooks and previous_hooks else []
        triggers: list[str] = []
        used: list[str] = []
        stack: list[tuple[str, float, float]] = []
        keys = model_keys(model)
        for item in plan.apply_items:
            built = build_lora(item, keys)
            triggers += built.trigger_words
            if built.hooks is None:
                log.info("Multi Scheduled LoRA Loader: skipping %s: %s", built.lora_name, built.skipped)
            else:
                groups.append(built.hooks)
                used.append(built.path)
                stack.append((built.lora_name, item.strength_model, item.strength_clip))
        record_usage("Multi Scheduled LoRA Loader", used)
        applied = {id(i) for i in plan.apply_items}
        for item in plan.trigger_items:
            if id(item) not in applied:
                triggers += _triggers_only(item)
        hooks = comfy.hooks.HookGroup.combine_all_hooks(groups)
        out_model = None
        if model is not None:
            out_model = model_with_hooks(model, hooks) if hooks is not None else model.clone()
        return (out_model, hooks, plan.schedule_string, ", ".join(unique_sorted_words(triggers)), stack,
                prompt_without_tags(schedule_string))


def _triggers_only(item) -> list[str]:
    """Trigger words of an upstream string's LoRA (OVERRIDE/BRIDGE); a name that resolves to no file has none."""
    try:
        _, path = resolve_item_path(item)
        return list(describe_lora(path).trigger_words)
    except (LoraItemError, OSError, ValueError) as err:
        log.warning("Multi Scheduled LoRA Loader: no trigger words for %s: %s", item.lora_name, err)
        return []


NODES = (MultiScheduledLoraLoader,)
