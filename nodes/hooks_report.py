"""Hooks Report node: what a HOOKS value will do, as JSON text (LoRA hooks, strengths, keyframes).

For checking a chain of loaders before sampling: which LoRAs are in the group, in which order, at
which base strengths, with how many block-weighted modules (and how many modules each block weight
scales), and the keyframes that will run. With a
staircase family set, each hook also lists its keyframe multiplier at every model evaluation of that
sampler/scheduler/steps run (`staircase`), computed like the editor's preview by ComfyUI's own sampler
and HookKeyframeGroup (`sampler_evaluations`). The keyframes are the diffusion
model's; `clip_keyframes` are the text encoder's when it has its own.
"""

import json
from collections import Counter

import comfy.hooks
import comfy.samplers

from . import sampler_evaluations
from .comfy_seams.hooks_seam import base_strengths

NO_STAIRCASE = "none"


def describe_hook(hook) -> dict:
    out = {"type": type(hook).__name__}
    if isinstance(hook, comfy.hooks.WeightHook):
        strength_model, strength_clip = base_strengths(hook)
        multipliers = getattr(hook, "module_multipliers", {}) or {}
        out.update({
            "strength_model": strength_model,
            "strength_clip": strength_clip,
            "lora_tensors": len(hook.weights or {}),
            "block_weighted_modules": len(multipliers),
            # [[block weight, modules it scales]] ascending: the block vector as the hook applies it
            "multipliers": [[round(m, 6), n] for m, n in sorted(Counter(multipliers.values()).items())],
        })
    group = hook.hook_keyframe
    out["keyframes"] = _keyframes(getattr(group, "model_keyframes", group.keyframes))
    if hasattr(group, "model_keyframes"):  # the text encoder's own, coarser set (scheduled_hooks.ClipKeyframedGroup)
        out["clip_keyframes"] = _keyframes(group.keyframes)
    return out


def _keyframes(keyframes) -> list[list]:
    return [[round(k.start_percent, 6), round(k.strength, 6), k.guarantee_steps] for k in keyframes]


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
        return {"required": {"hooks": ("HOOKS",)}, "optional": {
            "staircase_family": ([NO_STAIRCASE, *sampler_evaluations.FAMILIES],
                                 {"tooltip": "list each hook's multiplier at every model evaluation of this run"}),
            "sampler_name": (comfy.samplers.KSampler.SAMPLERS,),
            "scheduler": (comfy.samplers.KSampler.SCHEDULERS,),
            "steps": ("INT", {"default": 20, "min": 1, "max": sampler_evaluations.MAX_STEPS}),
        }}

    def report(self, hooks, staircase_family=NO_STAIRCASE, sampler_name="euler", scheduler="normal", steps=20):
        described = [describe_hook(h) for h in hooks.hooks]
        if staircase_family != NO_STAIRCASE:
            sigmas, evals, _ = sampler_evaluations.evaluations(staircase_family, sampler_name, scheduler, steps)
            for out, hook in zip(described, hooks.hooks, strict=True):
                group = hook.hook_keyframe  # the diffusion model's keyframes; none: full strength
                keyframes = getattr(group, "model_keyframes", group.keyframes)
                values = sampler_evaluations.applied_strengths(staircase_family, sigmas, evals, keyframes) \
                    if keyframes else [1.0] * len(evals)
                out["staircase"] = [round(v, 6) for v in values]
        # One hook per line: readable in a Preview node, and still one JSON document.
        return ("[\n" + ",\n".join(json.dumps(d) for d in described) + "\n]",)


NODES = (HooksReport,)
