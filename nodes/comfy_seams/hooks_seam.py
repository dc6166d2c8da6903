"""Seam: the private parts of `comfy.hooks` the pack reads (tested on ComfyUI 0.3.75 and 0.8.0).

- A WeightHook's base strengths (before keyframes): ComfyUI keeps them in `_strength_model` /
  `_strength_clip`; the public `strength_model` property multiplies in the current keyframe's strength.
  Fallback where the private attributes are gone: the public property on a clone whose keyframe group is
  empty (strength 1.0), which is the base strength by the property's definition.
- Making a keyframe group's first keyframe current after building it: `_set_first_as_current()`;
  fallback: the public `reset()`, which ends with the same step.

The path is chosen once at import by looking at the installed `comfy.hooks` (PATHS says which); a test
checks the choice per tested version and that both paths give ComfyUI's own values.
"""

import comfy.hooks


def _weight_hook_has_private_strengths() -> bool:
    probe = comfy.hooks.WeightHook(strength_model=0.25, strength_clip=0.5)
    return getattr(probe, "_strength_model", None) == 0.25 and getattr(probe, "_strength_clip", None) == 0.5


def _private_strengths(hook) -> tuple[float, float]:
    return hook._strength_model, hook._strength_clip


def _public_strengths(hook) -> tuple[float, float]:
    plain = hook.clone()
    plain.hook_keyframe = comfy.hooks.HookKeyframeGroup()
    return plain.strength_model, plain.strength_clip


def _private_first_current(group) -> None:
    group._set_first_as_current()


def _public_first_current(group) -> None:
    group.reset()


PATHS = {
    "base_strengths": "private" if _weight_hook_has_private_strengths() else "public",
    "first_keyframe_current": "private" if callable(getattr(comfy.hooks.HookKeyframeGroup, "_set_first_as_current",
                                                            None)) else "public",
}
_STRENGTHS = {"private": _private_strengths, "public": _public_strengths}
_FIRST_CURRENT = {"private": _private_first_current, "public": _public_first_current}


def base_strengths(hook) -> tuple[float, float]:
    """(strength_model, strength_clip) of a WeightHook as set on the loader, before any keyframe."""
    return _STRENGTHS[PATHS["base_strengths"]](hook)


def make_first_keyframe_current(group) -> None:
    """After filling `group.keyframes` directly: the first keyframe (by order) is the current one."""
    _FIRST_CURRENT[PATHS["first_keyframe_current"]](group)
