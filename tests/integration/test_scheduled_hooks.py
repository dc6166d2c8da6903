"""Scheduled, block-weighted LoRA hooks in ComfyUI's real sampler, on a tiny model.

The tiny model is ComfyUI's own `BaseModel` (SD1.5 config, real model sampling and samplers) whose
diffusion model is two Linear layers that record their weights at every call, so the test reads the
strength each LoRA module really had at each step.
"""

import importlib

import pytest
import torch
from lwb_testkit.tiny_model import tiny_model

pytestmark = pytest.mark.comfy

STEPS = 10
KEYFRAMES = [(0.0, 0.0), (0.3, 0.5), (0.6, 1.0)]  # (start_percent, strength)


@pytest.fixture(scope="module")
def hooks_glue(comfy):
    return importlib.import_module("lora_weights_builder.nodes.scheduled_hooks")


def kohya_lora(seed=0, rank=2, alpha=1.0):
    g = torch.Generator().manual_seed(seed)
    sd, deltas = {}, {}
    for name in ("a", "b"):
        up, down = torch.randn(4, rank, generator=g), torch.randn(rank, 4, generator=g)
        sd[f"lora_unet_{name}.lora_up.weight"] = up
        sd[f"lora_unet_{name}.lora_down.weight"] = down
        sd[f"lora_unet_{name}.alpha"] = torch.tensor(alpha)
        deltas[name] = up @ down * (alpha / rank)
    return sd, deltas


def loha_lora(seed=0, rank=2, alpha=2.0):
    g = torch.Generator().manual_seed(seed)
    sd, deltas = {}, {}
    for name in ("a", "b"):
        w1a, w1b = torch.randn(4, rank, generator=g), torch.randn(rank, 4, generator=g)
        w2a, w2b = torch.randn(4, rank, generator=g), torch.randn(rank, 4, generator=g)
        sd.update({f"lora_unet_{name}.hada_w1_a": w1a, f"lora_unet_{name}.hada_w1_b": w1b,
                   f"lora_unet_{name}.hada_w2_a": w2a, f"lora_unet_{name}.hada_w2_b": w2b,
                   f"lora_unet_{name}.alpha": torch.tensor(alpha)})
        deltas[name] = (w1a @ w1b) * (w2a @ w2b) * (alpha / rank)
    return sd, deltas


def full_diff_lora(seed=0):
    g = torch.Generator().manual_seed(seed)
    deltas = {name: torch.randn(4, 4, generator=g) for name in ("a", "b")}
    return {f"lora_unet_{name}.diff": d for name, d in deltas.items()}, deltas


def keyframed(comfy, hooks):
    kf = comfy.hooks.HookKeyframeGroup()
    for pct, strength in KEYFRAMES:
        kf.add(comfy.hooks.HookKeyframe(strength=strength, start_percent=pct))
    hooks = hooks.clone()
    hooks.set_keyframes_on_hooks(hook_kf=kf)
    return hooks


def expected_schedule(base, comfy):
    """Strength per step by ComfyUI's rule: the last keyframe whose start sigma >= the step's sigma."""
    import comfy.samplers as samplers

    sigmas = samplers.calculate_sigmas(base.model_sampling, "normal", STEPS)
    out = []
    for i in range(STEPS):
        s = None
        for pct, strength in KEYFRAMES:
            if base.model_sampling.percent_to_sigma(pct) >= float(sigmas[i]):
                s = strength
        out.append(s)
    return out


def run_sampler(comfy, patcher, positive_hooks=None):
    import comfy.sample

    ctx = torch.zeros(1, 1, 8)
    positive = [[ctx, {"hooks": positive_hooks} if positive_hooks is not None else {}]]
    negative = [[ctx, {}]]
    latent = torch.zeros(1, 4, 8, 8)
    noise = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    comfy.sample.sample(patcher, noise, STEPS, 1.0, "euler", "normal", positive, negative, latent,
                        disable_pbar=True, seed=0)


def observed(weight, w0, delta):
    return float(((weight.detach() - w0) * delta).sum() / (delta * delta).sum())


@pytest.mark.parametrize("make_lora", [kohya_lora, loha_lora, full_diff_lora], ids=["lora", "loha", "full_diff"])
def test_model_output_alone_applies_schedule_and_block_weights(comfy, hooks_glue, make_lora):
    base, patcher = tiny_model(comfy)
    net = base.diffusion_model
    w0 = (net.a.weight.detach().clone(), net.b.weight.detach().clone())
    sd, deltas = make_lora()
    hooks = keyframed(comfy, hooks_glue.create_block_weighted_hook(
        sd, strength_model=0.8, strength_clip=1.0, module_multipliers={"lora_unet_a": 0.5, "lora_unet_b": -1.5}))

    run_sampler(comfy, hooks_glue.model_with_hooks(patcher, hooks))

    expected = expected_schedule(base, comfy)
    assert len(net.seen) == STEPS
    for step, (wa, wb) in enumerate(net.seen):
        assert observed(wa, w0[0], deltas["a"]) == pytest.approx(0.8 * 0.5 * expected[step], abs=1e-4)
        assert observed(wb, w0[1], deltas["b"]) == pytest.approx(0.8 * -1.5 * expected[step], abs=1e-4)
    assert torch.equal(net.a.weight, w0[0]) and torch.equal(net.b.weight, w0[1]), "weights not restored"


def test_block_weight_zero_leaves_block_untouched(comfy, hooks_glue):
    base, patcher = tiny_model(comfy)
    net = base.diffusion_model
    w0b = net.b.weight.detach().clone()
    sd, deltas = kohya_lora(seed=1)
    hooks = hooks_glue.create_block_weighted_hook(sd, 1.0, 1.0, module_multipliers={"lora_unet_b": 0.0})
    run_sampler(comfy, hooks_glue.model_with_hooks(patcher, hooks))
    assert all(torch.equal(wb, w0b) for _, wb in net.seen)
    assert all(observed(wa, net.a.weight, deltas["a"]) == pytest.approx(1.0, abs=1e-4) for wa, _ in net.seen)


def test_model_and_cond_hooks_together_apply_once(comfy, hooks_glue):
    base, patcher = tiny_model(comfy)
    net = base.diffusion_model
    w0a = net.a.weight.detach().clone()
    sd, deltas = kohya_lora(seed=2)
    hooks = keyframed(comfy, hooks_glue.create_block_weighted_hook(sd, 1.0, 1.0))

    run_sampler(comfy, hooks_glue.model_with_hooks(patcher, hooks), positive_hooks=hooks.clone())

    expected = expected_schedule(base, comfy)
    for step, (wa, _) in enumerate(net.seen):
        assert observed(wa, w0a, deltas["a"]) == pytest.approx(expected[step], abs=1e-4)


def test_plain_model_is_not_patched(comfy, hooks_glue):
    base, patcher = tiny_model(comfy)
    net = base.diffusion_model
    w0a = net.a.weight.detach().clone()
    sd, _ = kohya_lora(seed=3)
    hooks_glue.model_with_hooks(patcher, hooks_glue.create_block_weighted_hook(sd, 1.0, 1.0))
    run_sampler(comfy, patcher)
    assert all(torch.equal(wa, w0a) for wa, _ in net.seen)
