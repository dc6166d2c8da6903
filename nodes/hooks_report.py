"""Hooks Report node: what a HOOKS value will do, as JSON text (LoRA hooks, strengths, keyframes).

For checking a chain of loaders before sampling: which LoRAs are in the group, in which order, at
which base strengths, with how many block-weighted modules, and the keyframes that will run.
"""

import json

import comfy.hooks


def describe_hook(hook) -> dict:
    out = {"type": type(hook).__name__}
    if isinstance(hook, comfy.hooks.WeightHook):
        out.update({
            "strength_model": hook._strength_model,
            "strength_clip": hook._strength_clip,
            "lora_tensors": len(hook.weights or {}),
            "block_weighted_modules": len(getattr(hook, "module_multipliers", {}) or {}),
        })
    out["keyframes"] = [[round(k.start_percent, 6), round(k.strength, 6), k.guarantee_steps]
                        for k in hook.hook_keyframe.keyframes]
    return out


class HooksReport:
    NODE_ID = "LoraWeightsBuilderHooksReport"
    DISPLAY_NAME = "Hooks Report (Weights Builder)"
    CATEGORY = "advanced/hooks/scheduling"
    DESCRIPTION = "Lists the hooks of a HOOKS value: LoRA strengths, block-weighted modules and keyframes, as JSON."
    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("report_json",)
    FUNCTION = "report"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"hooks": ("HOOKS",)}}

    def report(self, hooks):
        # One hook per line: readable in a Preview node, and still one JSON document.
        return ("[\n" + ",\n".join(json.dumps(describe_hook(h)) for h in hooks.hooks) + "\n]",)


NODES = (HooksReport,)
