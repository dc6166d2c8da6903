"""The Multi Scheduled LoRA Loader node, in-process with real `comfy` and ComfyUI's real sampler.

A tiny model (ComfyUI's `BaseModel`, SD1.5 config and sampling; its diffusion model is two Linear
layers that record their weights at every call) shows the strength each LoRA module really had at
each step, so the tests compare it with the drawn curve, and block values with the exact linear
scaling, for every adapter format ComfyUI loads.
"""

import importlib
import json

import pytest
import torch
from lwb_testkit.curve_oracle import within_bound
from lwb_testkit.tiny_model import sigma_percent, tiny_clip, tiny_model
from safetensors.torch import save_file

pytestmark = pytest.mark.comfy

CURVES = {
    "ramp": [(0.0, 0.0), (1.0, 1.0)],
    "triangle": [(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)],
    "window": [(0.3, 1.0), (0.7, 1.0)],
}


def adapter_tensors(fmt, name, g):
    """(tensors for module `name` of TwoLayerNet in format `fmt`, its ΔW at strength 1)."""
    r = 2
    up, down = torch.randn(4, r, generator=g), torch.randn(r, 4, generator=g)
    if fmt == "lora_alpha":
        return {f"lora_unet_{name}.lora_up.weight": up, f"lora_unet_{name}.lora_down.weight": down,
                f"lora_unet_{name}.alpha": torch.tensor(1.0)}, up @ down * 0.5
    if fmt == "lora_no_alpha":
        return {f"lora_unet_{name}.lora_up.weight": up, f"lora_unet_{name}.lora_down.weight": down}, up @ down
    if fmt == "peft":
        return {f"diffusion_model.{name}.lora_B.weight": up, f"diffusion_model.{name}.lora_A.weight": down}, up @ down
    if fmt == "loha":
        w2a, w2b = torch.randn(4, r, generator=g), torch.randn(r, 4, generator=g)
        return {f"lora_unet_{name}.hada_w1_a": up, f"lora_unet_{name}.hada_w1_b": down,
                f"lora_unet_{name}.hada_w2_a": w2a, f"lora_unet_{name}.hada_w2_b": w2b,
                f"lora_unet_{name}.alpha": torch.tensor(2.0)}, (up @ down) * (w2a @ w2b)
    if fmt == "lokr":
        w1, w2 = torch.randn(2, 2, generator=g), torch.randn(2, 2, generator=g)
        return {f"lora_unet_{name}.lokr_w1": w1, f"lora_unet_{name}.lokr_w2": w2}, torch.kron(w1, w2)
    if fmt == "full_diff":
        diff = torch.randn(4, 4, generator=g)
        return {f"lora_unet_{name}.diff": diff}, diff
    if fmt == "dora":
        # The DoRA change depends on the base weight: measured, not predicted (None).
        return {f"lora_unet_{name}.lora_up.weight": up, f"lora_unet_{name}.lora_down.weight": down,
                f"lora_unet_{name}.dora_scale": torch.rand(4, 1, generator=g) + 0.5}, None
    raise ValueError(fmt)


FORMATS = ["lora_alpha", "lora_no_alpha", "peft", "loha", "lokr", "full_diff", "dora"]


@pytest.fixture(scope="module")
def env(comfy, tmp_path_factory):
    loras = tmp_path_factory.mktemp("inproc_loras")
    comfy.folder_paths.add_model_folder_path("loras", str(loras), is_default=True)
    loader_mod = importlib.import_module("lora_weights_builder.nodes.multi_scheduled_lora_loader")
    return loras, loader_mod.MultiScheduledLoraLoader()


def write_lora(loras, fmt, seed=0):
    g = torch.Generator().manual_seed(seed)
    sd, deltas = {}, {}
    for name in ("a", "b"):
        tensors, delta = adapter_tensors(fmt, name, g)
        sd.update(tensors)
        deltas[name] = delta
    path = loras / f"{fmt}_{seed}.safetensors"
    save_file(sd, str(path))
    return path.name, deltas


def sample(patcher, steps, scheduler="normal", sampler="euler"):
    import comfy.sample

    ctx = torch.zeros(1, 1, 8)
    noise = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    comfy.sample.sample(patcher, noise, steps, 1.0, sampler, scheduler, [[ctx, {}]], [[ctx, {}]],
                        torch.zeros(1, 4, 8, 8), disable_pbar=True, seed=0)


def config(name, points, strength=1.0, vectors=None):
    return json.dumps([{"lora_name": name, "strength_model": strength, "strength_clip": 1.0, "enabled": True,
                        "points": [{"x": x, "y": y} for x, y in points], "vectors": vectors or {}}])


def project(weight, w0, delta):
    return float(((weight - w0) * delta).sum() / (delta * delta).sum())


@pytest.mark.parametrize("scheduler", ["normal", "karras"])
@pytest.mark.parametrize("steps", [4, 20, 30])
@pytest.mark.parametrize("curve", list(CURVES))
def test_strength_at_each_step_follows_the_drawn_curve(comfy, env, curve, steps, scheduler):
    """Expected values: the seed's curve (lwb_testkit.curve_oracle), not the pack's curve module."""
    loras, node = env
    name, deltas = write_lora(loras, "lora_alpha", seed=1)
    base, patcher = tiny_model(comfy, seed=7)
    w0 = base.diffusion_model.a.weight.detach().clone()
    model, _, _, _, _, _ = node.process(config(name, CURVES[curve], strength=0.8), model=patcher)
    sample(model, steps, scheduler)

    net = base.diffusion_model
    assert len(net.seen) == steps
    percents = [sigma_percent(base.model_sampling, s) for s in net.sigmas]
    applied = [project(wa, w0, deltas["a"]) / 0.8 for wa, _ in net.seen]
    assert within_bound(CURVES[curve], percents, applied) == [], (curve, steps, scheduler)
    assert torch.equal(net.a.weight, w0), "weights restored after sampling"


@pytest.mark.parametrize("fmt", FORMATS)
def test_block_value_scales_the_weight_change_linearly(comfy, env, fmt):
    loras, node = env
    name, _ = write_lora(loras, fmt, seed=2)

    def change_at(value):
        base, patcher = tiny_model(comfy, seed=7)
        w0 = base.diffusion_model.a.weight.detach().clone()
        vectors = {} if value == 1.0 else {"other": value}
        model, _, _, _, _, _ = node.process(config(name, [(0.0, 1.0), (1.0, 1.0)], vectors=vectors), model=patcher)
        sample(model, 2)
        return base.diffusion_model.seen[0][0] - w0

    unit = change_at(1.0)
    assert unit.abs().max() > 1e-3, "the LoRA changes the weight"
    for s in (-1.0, 0.0, 0.5, 2.0):
        got = change_at(s)
        rel = float((got - s * unit).norm() / unit.norm())
        assert rel < 1e-5, (fmt, s, rel)


def test_strength_model_scales_every_module(comfy, env):
    loras, node = env
    name, deltas = write_lora(loras, "lora_no_alpha", seed=3)
    base, patcher = tiny_model(comfy, seed=7)
    w0a = base.diffusion_model.a.weight.detach().clone()
    model, hooks, _, _, _, _ = node.process(config(name, [(0.0, 1.0), (1.0, 1.0)], strength=0.5), model=patcher)
    sample(model, 3)
    assert all(project(wa, w0a, deltas["a"]) == pytest.approx(0.5, abs=1e-5) for wa, _ in base.diffusion_model.seen)


def test_model_output_cloned_downstream_keeps_the_schedule(comfy, env):
    loras, node = env
    name, deltas = write_lora(loras, "lora_alpha", seed=4)
    base, patcher = tiny_model(comfy, seed=7)
    w0 = base.diffusion_model.a.weight.detach().clone()
    model, _, _, _, _, _ = node.process(config(name, [(0.0, 0.0), (0.5, 0.0), (0.51, 1.0), (1.0, 1.0)]), model=patcher)
    sample(model.clone().clone(), 10)
    seen = [project(wa, w0, deltas["a"]) for wa, _ in base.diffusion_model.seen]
    assert seen[0] == pytest.approx(0.0, abs=1e-4)
    assert seen[-1] == pytest.approx(1.0, abs=1e-4)


def test_zero_curve_skips_the_lora_and_model_is_untouched(comfy, env):
    loras, node = env
    name, _ = write_lora(loras, "lora_alpha", seed=5)
    base, patcher = tiny_model(comfy, seed=7)
    w0 = base.diffusion_model.a.weight.detach().clone()
    model, hooks, _, _, _, _ = node.process(config(name, [(0.0, 0.0), (1.0, 0.0)]), model=patcher)
    assert hooks is None
    sample(model, 3)
    assert all(torch.equal(wa, w0) for wa, _ in base.diffusion_model.seen)


def test_hooks_through_set_clip_hooks_match_the_classic_loader_per_block(comfy, env):
    """HOOKS -> Set CLIP Hooks (schedule_clip) -> CLIPTextEncode gives, in each scheduled range, the
    conditioning of a classically patched CLIP at that strength, with the te_layer_0 block at 0.5."""
    import comfy_extras.nodes_hooks as core_hooks

    import nodes as core_nodes

    loras, node = env
    g = torch.Generator().manual_seed(9)
    sd = {}
    for layer in (0, 1):
        sd[f"lora_te_text_model_encoder_layers_{layer}_mlp_fc1.lora_up.weight"] = torch.randn(64, 2, generator=g)
        sd[f"lora_te_text_model_encoder_layers_{layer}_mlp_fc1.lora_down.weight"] = torch.randn(2, 32, generator=g)
    save_file(sd, str(loras / "te_only.safetensors"))
    points = [(0.0, 0.0), (0.5, 0.0), (0.51, 1.0), (1.0, 1.0)]
    _, hooks, _, _, _, _ = node.process(json.dumps([{
        "lora_name": "te_only.safetensors", "strength_model": 1.0, "strength_clip": 0.8, "enabled": True,
        "points": [{"x": x, "y": y} for x, y in points], "vectors": {"te_layer_0": 0.5}}]))
    clip = tiny_clip(comfy)
    (hooked,) = core_hooks.SetClipHooks().apply_hooks(clip=clip, schedule_clip=True, apply_to_conds=True, hooks=hooks)
    (conds,) = core_nodes.CLIPTextEncode().encode(hooked, "a photo of a cat")

    reference_sd = dict(sd)
    key = "lora_te_text_model_encoder_layers_0_mlp_fc1.lora_up.weight"
    reference_sd[key] = sd[key] * 0.5
    final = [c for c, d in conds if d["clip_start_percent"] >= 0.5]
    assert final, [(d["clip_start_percent"], d["clip_end_percent"]) for _, d in conds]
    ref_clip = comfy.sd.load_lora_for_models(None, clip, reference_sd, 0.0, 0.8)[1]
    (ref,) = core_nodes.CLIPTextEncode().encode(ref_clip, "a photo of a cat")
    assert float((final[-1] - ref[0][0]).abs().max()) < 1e-5
    (plain,) = core_nodes.CLIPTextEncode().encode(clip, "a photo of a cat")
    early = [c for c, d in conds if d["clip_start_percent"] == 0.0]
    assert float((early[0] - plain[0][0]).abs().max()) < 1e-6, "strength 0 before x=0.5"
    assert float((final[-1] - plain[0][0]).abs().max()) > 1e-4, "the LoRA changes the encoding"
    assert all("hooks" in d for _, d in conds)


def test_lora_for_another_model_is_a_clear_error(comfy, env):
    """A LoRA none of whose diffusion-model layers exist in the connected model is reported, not ignored."""
    loras, node = env
    g = torch.Generator().manual_seed(11)
    save_file({"lora_unet_input_blocks_4_1_proj_in.lora_up.weight": torch.randn(4, 2, generator=g),
               "lora_unet_input_blocks_4_1_proj_in.lora_down.weight": torch.randn(2, 4, generator=g)},
              str(loras / "other_model.safetensors"))
    _, patcher = tiny_model(comfy, seed=7)
    with pytest.raises(ValueError, match=r"LoRA 'other_model.safetensors' .* matches no layer of the connected model "
                                         r"\(BaseModel\)"):
        node.process(config("other_model.safetensors", [(0.0, 1.0), (1.0, 1.0)]), model=patcher)
