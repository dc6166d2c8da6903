"""The adapters for ComfyUI internals (nodes/comfy_seams/) pick the path meant for each tested host, and every
path gives what ComfyUI itself computes, on the real `comfy` modules of the host under test (LWB_HOST)."""

import importlib
import inspect

import pytest
from lwb_testkit.host import HOST_VERSION

pytestmark = pytest.mark.comfy

# Read off each host's comfy/hooks.py: both keep `_strength_model`/`_strength_clip` and `_set_first_as_current`.
EXPECTED_PATHS = {
    "0.3.75": {"base_strengths": "private", "first_keyframe_current": "private"},
    "0.8.0": {"base_strengths": "private", "first_keyframe_current": "private"},
}


@pytest.fixture(scope="module")
def seam(comfy):
    return importlib.import_module("lora_weights_builder.nodes.comfy_seams.hooks_seam")


def test_feature_detection_picks_the_path_of_this_host(seam):
    assert EXPECTED_PATHS[HOST_VERSION] == seam.PATHS


def ramp_hook(comfy, strength_model, strength_clip):
    """A LoRA hook as ComfyUI's own nodes build it, with a keyframe ramp starting at strength 0.25."""
    group = comfy.hooks.create_hook_lora({}, strength_model, strength_clip)
    keyframes = comfy.hooks.HookKeyframeGroup()
    for percent, strength in ((0.0, 0.25), (0.5, 1.0)):
        keyframes.add(comfy.hooks.HookKeyframe(strength=strength, start_percent=percent))
    group.set_keyframes_on_hooks(keyframes)
    return group.hooks[0]


@pytest.mark.parametrize("path", ["private", "public"])
def test_every_path_reads_the_strengths_set_on_the_hook(comfy, seam, path):
    hook = ramp_hook(comfy, 0.8, 0.6)
    # ComfyUI's own property multiplies in the current keyframe (0.25); the base strengths do not.
    assert hook.strength_model == pytest.approx(0.8 * 0.25)
    assert seam._STRENGTHS[path](hook) == pytest.approx((0.8, 0.6))
    assert hook.hook_keyframe.strength == 0.25  # the public path left the hook's own keyframes alone


@pytest.mark.parametrize("path", ["private", "public"])
def test_every_path_makes_the_first_keyframe_current(comfy, seam, path):
    group = comfy.hooks.HookKeyframeGroup()
    group.keyframes = [comfy.hooks.HookKeyframe(strength=s, start_percent=p) for p, s in ((0.0, 0.3), (0.6, 0.9))]
    assert group.strength == 1.0  # nothing current yet: ComfyUI's neutral strength
    seam._FIRST_CURRENT[path](group)
    assert group.strength == 0.3


# The ComfyUI calls the pack makes directly (no adapter: the same on both tested hosts), with the parameters it
# passes, read off comfy/ of 0.3.75 and 0.8.0. A host that renames or drops one fails here, naming the seam.
DIRECT_SEAMS = {
    ("comfy.model_patcher", "ModelPatcher.add_wrapper_with_key"): ["self", "wrapper_type", "key", "wrapper"],
    ("comfy.model_patcher", "ModelPatcher.register_all_hook_patches"): ["self", "hooks", "target_dict",
                                                                       "model_options"],
    ("comfy.model_patcher", "ModelPatcher.add_hook_patches"): ["self", "hook", "patches", "strength_patch"],
    ("comfy.samplers", "filter_registered_hooks_on_conds"): ["conds", "model_options"],
    ("comfy.samplers", "get_total_hook_groups_in_conds"): ["conds"],
    ("comfy.samplers", "CFGGuider.inner_sample"): ["self", "noise", "latent_image", "device", "sampler", "sigmas",
                                                   "denoise_mask", "callback", "disable_pbar", "seed"],
    ("comfy.hooks", "create_target_dict"): ["target"],
    ("comfy.hooks", "HookGroup.combine_all_hooks"): ["hooks_list"],
    ("comfy.lora", "load_lora"): ["lora", "to_load", "log_missing"],
    ("comfy.lora", "model_lora_keys_unet"): ["model", "key_map"],
    ("comfy.lora", "model_lora_keys_clip"): ["model", "key_map"],
    ("comfy.lora_convert", "convert_lora"): ["sd"],
    ("comfy.utils", "load_torch_file"): ["ckpt", "safe_load"],
}


@pytest.mark.parametrize(("module", "attribute"), sorted(DIRECT_SEAMS))
def test_direct_seams_take_what_the_pack_passes(comfy, module, attribute):
    obj = importlib.import_module(module)
    for name in attribute.split("."):
        obj = getattr(obj, name)
    params = list(inspect.signature(obj).parameters)
    wanted = DIRECT_SEAMS[(module, attribute)]
    assert params[:len(wanted)] == wanted, f"{module}.{attribute} on ComfyUI {HOST_VERSION}: {params}"


def test_enums_the_pack_names_exist(comfy):
    hooks = importlib.import_module("comfy.hooks")
    assert {"MinVram", "MaxSpeed"} <= set(hooks.EnumHookMode.__members__)
    assert {"Model", "Clip"} <= set(hooks.EnumWeightTarget.__members__)
    assert importlib.import_module("comfy.patcher_extension").WrappersMP.OUTER_SAMPLE == "outer_sample"
