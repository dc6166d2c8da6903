"""ComfyUI glue for scheduled, block-weighted LoRA hooks.

Two pieces:

- `BlockWeightedLoraHook`: a `comfy.hooks.WeightHook` whose patches are registered with a strength
  per LoRA module (`strength_patch = strength * multiplier`). ComfyUI multiplies every adapter
  format's weight change by `strength_patch` (LoRA, LoHa, LoKr, DoRA, full diff), so a block value
  `s` scales that block's ΔW by exactly `s`; no tensor is copied or rescaled.
- `clip_with_hooks`: a CLIP clone whose text encoder applies a hook group (Set CLIP Hooks' way).
- `model_with_hooks`: a MODEL clone that applies a hook group on its own, without Set CLIP Hooks or
  conditioning hooks. ComfyUI applies weight hooks only for conditionings that carry them, so an
  OUTER_SAMPLE wrapper adds the group to every conditioning (merged with hooks already there, so a
  LoRA connected both ways is applied once: hooks compare by reference) and registers it the way
  the sampler registers conditioning hooks.
"""

import threading
import weakref

import comfy.hooks
import comfy.lora
import comfy.patcher_extension
import comfy.samplers

from ..modules.blocks.patch_groups import group_by_multiplier
from .comfy_seams.hooks_seam import base_strengths, make_first_keyframe_current

WRAPPER_KEY = "lora_weights_builder.model_hooks"
# Per model_sampling object (weakly held, so a model's table goes with the model): percent -> sigma.
# Bounded per model by MAX_SIGMA_ENTRIES; guarded by a lock since prompts may run in several threads.
MAX_SIGMA_ENTRIES = 65536
_sigma_tables: "weakref.WeakKeyDictionary[object, dict[float, float]]" = weakref.WeakKeyDictionary()
_sigma_lock = threading.Lock()


class SigmaCachedKeyframeGroup(comfy.hooks.HookKeyframeGroup):
    """A keyframe group that remembers `percent_to_sigma` per model.

    ComfyUI converts every keyframe's start percent to a sigma for every conditioning that carries
    the hook, at every sampling run; a curve compiled to a few hundred keyframes then costs
    hundreds of scalar torch calls per run. The conversion only depends on the model's sampling,
    so it is computed once per (model_sampling, percent).
    """

    def initialize_timesteps(self, model):
        ms = model.model_sampling
        with _sigma_lock:
            table = _sigma_tables.setdefault(ms, {})
            for keyframe in self.keyframes:
                sigma = table.get(keyframe.start_percent)
                if sigma is None:
                    sigma = ms.percent_to_sigma(keyframe.start_percent)
                    if len(table) < MAX_SIGMA_ENTRIES:
                        table[keyframe.start_percent] = sigma
                keyframe.start_t = sigma

    def clone(self):
        c = SigmaCachedKeyframeGroup()
        c.keyframes = [keyframe.clone() for keyframe in self.keyframes]
        make_first_keyframe_current(c)
        return c


class ClipKeyframedGroup(SigmaCachedKeyframeGroup):
    """A LoRA's keyframes for the diffusion model, plus a coarser set for the text encoder.

    With Set CLIP Hooks and `schedule_clip`, ComfyUI encodes the prompt once per range of constant
    strength that it reads from `keyframes` (`HookGroup.get_hooks_for_clip_schedule`, then
    `CLIP.encode_from_tokens_scheduled` sets each range's keyframe as current and reads `strength`).
    So `keyframes` here is the text-encoder set (`schedule/clip_curve.py`: one encode per 0.05 of
    strength change), and every method the sampler uses for the diffusion model (`reset`,
    `initialize_timesteps`, `prepare_current_keyframe`, ...) works on `model_keyframes`, the exact
    compilation. One hook object per LoRA serves both sides, so a LoRA connected through MODEL and
    HOOKS is still applied once.
    """

    def __init__(self, model_keyframes=(), clip_keyframes=()):
        super().__init__()
        self._model = SigmaCachedKeyframeGroup()
        self._model.keyframes = list(model_keyframes)
        self.keyframes = list(clip_keyframes)
        self.reset()

    @property
    def model_keyframes(self):
        return self._model.keyframes

    def _set_first_as_current(self):
        make_first_keyframe_current(self._model)
        self._current_keyframe = self._model._current_keyframe

    def reset(self):
        self._model.reset()
        super().reset()
        self._current_keyframe = self._model._current_keyframe  # the model's first, whatever reset() did

    def has_guarantee_steps(self):
        return self._model.has_guarantee_steps()

    def has_index(self, index):
        return self._model.has_index(index)

    def is_empty(self):
        return self._model.is_empty()

    def initialize_timesteps(self, model):
        self._model.initialize_timesteps(model)

    def prepare_current_keyframe(self, curr_t, transformer_options):
        changed = self._model.prepare_current_keyframe(curr_t, transformer_options)
        self._current_keyframe = self._model._current_keyframe
        return changed

    def clone(self):
        return ClipKeyframedGroup([k.clone() for k in self._model.keyframes], [k.clone() for k in self.keyframes])


class BlockWeightedLoraHook(comfy.hooks.WeightHook):
    """A LoRA weight hook with a strength multiplier per LoRA module name (missing: 1.0, 0: not patched)."""

    def __init__(self, strength_model=1.0, strength_clip=1.0, module_multipliers=None):
        super().__init__(strength_model=strength_model, strength_clip=strength_clip)
        self.module_multipliers: dict[str, float] = dict(module_multipliers or {})

    def add_hook_patches(self, model, model_options, target_dict, registered):
        if not self.should_register(model, model_options, target_dict, registered):
            return False
        is_clip = target_dict.get("target", None) == comfy.hooks.EnumWeightTarget.Clip
        strength_model, strength_clip = base_strengths(self)
        strength = strength_clip if is_clip else strength_model
        key_map = comfy.lora.model_lora_keys_clip(model.model, {}) if is_clip else \
            comfy.lora.model_lora_keys_unet(model.model, {})
        patches = comfy.lora.load_lora(self.weights, key_map, log_missing=False)
        for multiplier, group in group_by_multiplier(patches, key_map, self.weights, self.module_multipliers):
            model.add_hook_patches(hook=self, patches=group, strength_patch=strength * multiplier)
        registered.add(self)
        return True

    def clone(self):
        c = super().clone()
        c.module_multipliers = self.module_multipliers
        return c


def create_block_weighted_hook(lora_sd, strength_model, strength_clip, module_multipliers=None):
    group = comfy.hooks.HookGroup()
    hook = BlockWeightedLoraHook(strength_model, strength_clip, module_multipliers)
    hook.weights = lora_sd
    group.add(hook)
    return group


def model_with_hooks(model, hooks):
    """A clone of `model` that applies `hooks` in every sampling run, on every conditioning."""
    patched = model.clone()
    patched.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.OUTER_SAMPLE, WRAPPER_KEY,
                                 _apply_hooks_to_all_conds(hooks))
    return patched


def clip_with_hooks(clip, hooks):
    """A clone of `clip` whose text encoder applies `hooks` (scheduled), as Set CLIP Hooks would.

    The hooks become the clone's forced hooks (merged with any it already had); the conditionings it
    encodes do not carry them, so a diffusion model is only changed through MODEL or HOOKS. Set CLIP
    Hooks given the same HOOKS later registers nothing twice (hooks compare by reference), so each
    LoRA is applied once.
    """
    patched = clip.clone()
    forced = comfy.hooks.HookGroup.combine_all_hooks([patched.patcher.forced_hooks, hooks])
    patched.patcher.forced_hooks = forced.clone()
    patched.use_clip_schedule = True
    patched.patcher.register_all_hook_patches(forced, comfy.hooks.create_target_dict(comfy.hooks.EnumWeightTarget.Clip))
    return patched


def _apply_hooks_to_all_conds(hooks):
    def outer_sample(executor, *args, **kwargs):
        guider = executor.class_obj
        merged_by_group: dict[int, comfy.hooks.HookGroup] = {}
        for conds in guider.conds.values():
            for cond in conds:
                existing = cond.get("hooks")
                key = id(existing)
                if key not in merged_by_group:
                    merged_by_group[key] = comfy.hooks.HookGroup.combine_all_hooks([existing, hooks])
                cond["hooks"] = merged_by_group[key]
        all_hooks = comfy.hooks.HookGroup.combine_all_hooks(list(merged_by_group.values()))
        target = comfy.hooks.create_target_dict(comfy.hooks.EnumWeightTarget.Model)
        registered = guider.model_patcher.register_all_hook_patches(all_hooks, target, guider.model_options)
        guider.model_options["registered_hooks"] = registered
        comfy.samplers.filter_registered_hooks_on_conds(guider.conds, guider.model_options)
        if comfy.samplers.get_total_hook_groups_in_conds(guider.conds) <= 1:
            guider.model_patcher.hook_mode = comfy.hooks.EnumHookMode.MinVram
        return executor(*args, **kwargs)

    return outer_sample
