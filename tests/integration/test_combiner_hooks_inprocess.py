"""The combiner's MODEL/CLIP and HOOKS outputs in ComfyUI's real sampler and text encoder: each LoRA once.

Whatever the wiring (MODEL alone; the plain model with HOOKS on the conditioning; both), the diffusion
model runs every LoRA module at the strength the combiner computed, never twice; the CLIP output alone
and the CLIP output through Set CLIP Hooks with the same HOOKS encode like ComfyUI's own LoRA loader
at the computed strength_clip. The tiny model and CLIP record/expose their weights (lwb_testkit.tiny_model).

Expected strengths come from the budget rule on one LoRA: budget = headroom × its change at strength 1,
so with strength 0.8 and headroom 0.5 the factor is 0.5 / 0.8 and the applied strength 0.5.
"""

import importlib
import json

import pytest
import torch
from lwb_testkit.tiny_model import tiny_clip, tiny_model
from safetensors.torch import save_file

pytestmark = pytest.mark.comfy

APPLIED = 0.5  # strength 0.8, headroom 0.5: one LoRA's block is cut to 0.5 × its change at strength 1


@pytest.fixture(scope="module")
def setup(comfy, tmp_path_factory):
    loras = tmp_path_factory.mktemp("combiner_once")
    comfy.folder_paths.add_model_folder_path("loras", str(loras), is_default=True)
    g = torch.Generator().manual_seed(41)
    sd, deltas = {}, {}
    for name in ("a", "b"):
        up, down = torch.randn(4, 2, generator=g), torch.randn(2, 4, generator=g)
        sd[f"lora_unet_{name}.lora_up.weight"], sd[f"lora_unet_{name}.lora_down.weight"] = up, down
        deltas[name] = up @ down
    for layer in (0, 1):
        sd[f"lora_te_text_model_encoder_layers_{layer}_mlp_fc1.lora_up.weight"] = torch.randn(64, 2, generator=g)
        sd[f"lora_te_text_model_encoder_layers_{layer}_mlp_fc1.lora_down.weight"] = torch.randn(2, 32, generator=g)
    save_file(sd, str(loras / "combiner_once_lora.safetensors"))
    node = importlib.import_module("lora_weights_builder.nodes.block_weight_combiner").LoraBlockWeightCombiner()
    config = json.dumps([{"lora_name": "combiner_once_lora.safetensors", "strength_model": 0.8,
                          "strength_clip": 0.8, "arch": "SD15"}])
    return node, config, sd, deltas


def sample(patcher, hooks=None, steps=4):
    import comfy.sample

    ctx = torch.zeros(1, 1, 8)
    extra = {"hooks": hooks} if hooks is not None else {}
    noise = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    comfy.sample.sample(patcher, noise, steps, 1.0, "euler", "normal", [[ctx, dict(extra)]], [[ctx, dict(extra)]],
                        torch.zeros(1, 4, 8, 8), disable_pbar=True, seed=0)


def applied(base, w0, deltas) -> list[float]:
    """Strength of module `a` and `b` at every step: the weight change projected on the LoRA's ΔW."""
    out = []
    for wa, wb in base.diffusion_model.seen:
        for weight, start, delta in ((wa, w0[0], deltas["a"]), (wb, w0[1], deltas["b"])):
            out.append(float(((weight - start) * delta).sum() / (delta * delta).sum()))
    return out


@pytest.mark.parametrize("wiring", ["model_alone", "hooks_on_conditioning", "both"])
def test_diffusion_model_gets_each_lora_once_at_the_computed_strength(comfy, setup, wiring):
    node, config, _, deltas = setup
    base, patcher = tiny_model(comfy, seed=7)
    w0 = (base.diffusion_model.a.weight.detach().clone(), base.diffusion_model.b.weight.detach().clone())
    model, _, hooks, schedule, _, _, stack = node.process(config, "budget", 0.5, model=patcher)
    assert "vectors=other=0.625" in schedule and stack == [("combiner_once_lora.safetensors", 0.8, 0.5)]
    if wiring == "model_alone":
        sample(model)
    elif wiring == "hooks_on_conditioning":
        sample(patcher, hooks)
    else:
        sample(model, hooks.clone())
    strengths = applied(base, w0, deltas)
    assert len(strengths) == 8 and all(s == pytest.approx(APPLIED, abs=1e-4) for s in strengths), strengths
    assert torch.equal(base.diffusion_model.a.weight, w0[0]), "weights restored after sampling"


def test_text_encoder_gets_each_lora_once_at_the_computed_strength(comfy, setup):
    import comfy_extras.nodes_hooks as core_hooks

    import nodes as core_nodes

    node, config, sd, _ = setup
    clip = tiny_clip(comfy)
    _, out_clip, hooks, _, _, _, _ = node.process(config, "budget", 0.5, clip=clip)
    reference = comfy.sd.load_lora_for_models(None, clip, sd, 0.0, APPLIED)[1]
    (expected,) = core_nodes.CLIPTextEncode().encode(reference, "a photo of a cat")
    (plain,) = core_nodes.CLIPTextEncode().encode(clip, "a photo of a cat")
    (alone,) = core_nodes.CLIPTextEncode().encode(out_clip, "a photo of a cat")
    (through,) = core_hooks.SetClipHooks().apply_hooks(clip=out_clip, schedule_clip=True, apply_to_conds=True,
                                                        hooks=hooks)
    (both,) = core_nodes.CLIPTextEncode().encode(through, "a photo of a cat")
    assert float((expected[0][0] - plain[0][0]).abs().max()) > 1e-4, "the LoRA changes the encoding"
    for got in (alone, both):
        assert float((got[-1][0] - expected[0][0]).abs().max()) < 1e-5
