"""Curves run as drawn in ComfyUI's real sampler, for every sampler x scheduler of the README's promise, on
a discrete (SD1.5, eps) and a flow (SD3, shift 3) model.

The Multi Scheduled LoRA Loader's MODEL goes through `comfy.sample.sample`; the tiny model records the
LoRA weight and the sigma of every model evaluation (heun, dpm_2, dpmpp_sde evaluate twice per step).
Expected strengths come from `lwb_testkit.curve_oracle` (seed 004's definition), never from the pack's
curve module. The same runs check the editor's staircase route engine (`nodes.sampler_evaluations`):
its evaluation sigmas and strengths are the ones the sampler really used.
"""

import importlib
import json

import pytest
import torch
from lwb_testkit.curve_oracle import expected_strength, within_bound
from lwb_testkit.tiny_model import sigma_percent, tiny_model
from safetensors.torch import save_file

pytestmark = pytest.mark.comfy

SAMPLERS = ["euler", "heun", "dpm_2", "dpmpp_2m", "dpmpp_sde", "uni_pc"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "beta"]
STEPS = 8
# Zero before 0.15 and after 0.8 (the seed's padding), a rise and a fall inside: every rule shows.
CURVE = [(0.15, 0.2), (0.5, 1.0), (0.8, 0.4)]
STRENGTH = 0.8


@pytest.fixture(scope="module")
def loader(comfy, tmp_path_factory):
    loras = tmp_path_factory.mktemp("matrix_loras")
    comfy.folder_paths.add_model_folder_path("loras", str(loras), is_default=True)
    g = torch.Generator().manual_seed(21)
    up, down = torch.randn(4, 2, generator=g), torch.randn(2, 4, generator=g)
    save_file({"lora_unet_a.lora_up.weight": up, "lora_unet_a.lora_down.weight": down},
              str(loras / "matrix.safetensors"))
    node = importlib.import_module("lora_weights_builder.nodes.multi_scheduled_lora_loader").MultiScheduledLoraLoader()
    config = json.dumps([{"lora_name": "matrix.safetensors", "strength_model": STRENGTH, "strength_clip": 1.0,
                          "enabled": True, "points": [{"x": x, "y": y} for x, y in CURVE], "vectors": {}}])
    return node, config, up @ down


def run(comfy, loader, family, sampler, scheduler):
    """(sigma of each evaluation, strength the LoRA had at it) in one real sampling run."""
    sample = importlib.import_module("comfy.sample")

    node, config, delta = loader
    base, patcher = tiny_model(comfy, seed=7, family=family)
    w0 = base.diffusion_model.a.weight.detach().clone()
    model = node.process(config, model=patcher)[0]
    channels = base.latent_format.latent_channels
    ctx = torch.zeros(1, 1, 8)
    noise = torch.randn(1, channels, 8, 8, generator=torch.Generator().manual_seed(0))
    sample.sample(model, noise, STEPS, 1.0, sampler, scheduler, [[ctx, {}]], [[ctx, {}]],
                        torch.zeros(1, channels, 8, 8), disable_pbar=True, seed=0)
    net = base.diffusion_model
    applied = [float(((wa - w0) * delta).sum() / (delta * delta).sum()) / STRENGTH for wa, _ in net.seen]
    assert torch.equal(net.a.weight, w0), "weights restored after sampling"
    return base.model_sampling, net.sigmas, applied


@pytest.mark.parametrize("family", ["SD15", "SD3"])
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_every_evaluation_gets_the_drawn_strength(comfy, loader, family, sampler):
    evaluations = importlib.import_module("lora_weights_builder.nodes.sampler_evaluations")
    for scheduler in SCHEDULERS:
        ms, sigmas, applied = run(comfy, loader, family, sampler, scheduler)
        assert len(sigmas) >= STEPS
        percents = [sigma_percent(ms, s) for s in sigmas]
        misses = within_bound(CURVE, percents, applied)
        assert misses == [], (family, sampler, scheduler, misses[:5])
        zero_side = [a for q, a in zip(percents, applied, strict=True) if q < 0.149 or q > 0.801]
        assert all(abs(a) < 1e-4 for a in zero_side), (family, sampler, scheduler, "0 outside the curve")

        # The staircase engine (route, Hooks Report) predicts these very evaluations and strengths.
        preview = evaluations.staircase(family, sampler, scheduler, STEPS, [CURVE])
        assert [e["sigma"] for e in preview["evaluations"]] == pytest.approx(sigmas, rel=1e-6), (sampler, scheduler)
        assert preview["strengths"][0] == pytest.approx(applied, abs=1e-4), (family, sampler, scheduler)


def test_the_oracle_is_the_seeds_definition():
    """A few values by hand: linear inside, the 0.001 ramps, 0 outside, the later point at a jump."""
    assert expected_strength(CURVE, 0.325) == pytest.approx(0.6)
    assert expected_strength(CURVE, 0.149) == 0.0 and expected_strength(CURVE, 0.1495) == pytest.approx(0.1)
    assert expected_strength(CURVE, 0.9) == 0.0 and expected_strength(CURVE, 1.0) == 0.0
    assert expected_strength([(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (1.0, 1.0)], 0.5) == 1.0
