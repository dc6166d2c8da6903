"""`POST /mad-nodes/staircase` (the editor's staircase preview) against what ComfyUI's sampler applied.

The route runs on a bare aiohttp app with the real engine (`nodes.sampler_evaluations`, ComfyUI
in-process). The truth is a real sampling run: the Multi Scheduled LoRA Loader's MODEL over a tiny
model of the family, through `comfy.sample.sample`, recording the LoRA strength at every evaluation.
"""

import importlib
import json

import pytest
import torch
from lwb_testkit.route_app import routes_app
from lwb_testkit.tiny_model import tiny_model
from safetensors.torch import save_file

pytestmark = pytest.mark.comfy

CURVE = [(0.0, 0.0), (0.3, 1.0), (0.6, 0.2), (0.9, 0.7)]


@pytest.fixture(scope="module")
def engine(comfy):
    return importlib.import_module("lora_weights_builder.nodes.sampler_evaluations")


@pytest.fixture
async def client(engine, aiohttp_client):
    routes = importlib.import_module("lora_weights_builder.routes.staircase_routes")
    return await aiohttp_client(routes_app(routes.StaircaseRoutes(engine)))


def applied_in_a_real_run(comfy, tmp_path, family, sampler, scheduler, steps):
    sample = importlib.import_module("comfy.sample")

    loras = tmp_path / "loras"
    loras.mkdir(exist_ok=True)
    comfy.folder_paths.add_model_folder_path("loras", str(loras), is_default=True)
    g = torch.Generator().manual_seed(5)
    up, down = torch.randn(4, 2, generator=g), torch.randn(2, 4, generator=g)
    save_file({"lora_unet_a.lora_up.weight": up, "lora_unet_a.lora_down.weight": down},
              str(loras / "stair.safetensors"))
    node = importlib.import_module("lora_weights_builder.nodes.multi_scheduled_lora_loader").MultiScheduledLoraLoader()
    config = json.dumps([{"lora_name": "stair.safetensors", "strength_model": 1.0, "strength_clip": 1.0,
                          "enabled": True, "points": [{"x": x, "y": y} for x, y in CURVE], "vectors": {}}])
    base, patcher = tiny_model(comfy, seed=3, family=family)
    w0 = base.diffusion_model.a.weight.detach().clone()
    model = node.process(config, model=patcher)[0]
    channels = base.latent_format.latent_channels
    ctx = torch.zeros(1, 1, 8)
    noise = torch.randn(1, channels, 8, 8, generator=torch.Generator().manual_seed(0))
    sample.sample(model, noise, steps, 1.0, sampler, scheduler, [[ctx, {}]], [[ctx, {}]],
                        torch.zeros(1, channels, 8, 8), disable_pbar=True, seed=0)
    delta = up @ down
    net = base.diffusion_model
    return net.sigmas, [float(((wa - w0) * delta).sum() / (delta * delta).sum()) for wa, _ in net.seen]


@pytest.mark.parametrize(("family", "sampler", "scheduler"), [
    ("SDXL", "euler", "karras"), ("FLUX", "euler", "simple"), ("SDXL", "heun", "normal"), ("FLUX", "dpmpp_sde", "beta"),
])
async def test_the_staircase_is_what_the_sampler_applied(comfy, client, tmp_path, family, sampler, scheduler):
    resp = await client.post("/mad-nodes/staircase", json={
        "family": family, "sampler": sampler, "scheduler": scheduler, "steps": 20,
        "curves": [[{"x": x, "y": y} for x, y in CURVE]]})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    sigmas, applied = applied_in_a_real_run(comfy, tmp_path, family, sampler, scheduler, 20)
    assert [e["sigma"] for e in body["evaluations"]] == pytest.approx(sigmas, rel=1e-6)
    assert body["strengths"][0] == pytest.approx(applied, abs=1e-4)
    assert len(sigmas) == (20 if sampler == "euler" else 39), "heun and dpmpp_sde evaluate twice per step but the last"
    steps = [e["step"] for e in body["evaluations"]]
    assert steps == sorted(steps) and set(steps) == set(range(20))


async def test_karras_is_not_evenly_spaced(client):
    """The reason for the route: SDXL karras steps sit far from step/steps in sigma percent."""
    resp = await client.post("/mad-nodes/staircase", json={"family": "SDXL", "sampler": "euler",
                                                           "scheduler": "karras", "steps": 20})
    percents = [e["percent"] for e in (await resp.json())["evaluations"]]
    assert max(abs(q - i / 20) for i, q in enumerate(percents)) > 0.1


@pytest.mark.parametrize(("body", "field"), [
    ({"family": "SDXL9", "sampler": "euler", "scheduler": "karras", "steps": 20}, "family"),
    ({"family": "SDXL", "sampler": "eulr", "scheduler": "karras", "steps": 20}, "sampler"),
    ({"family": "SDXL", "sampler": "euler", "scheduler": "karras", "steps": 0}, "steps"),
    ({"family": "SDXL", "sampler": "euler", "scheduler": "karras", "steps": 20, "denoise": 0}, "denoise"),
    ({"family": "SDXL", "sampler": "euler", "scheduler": "karras", "steps": 20,
      "curves": [[{"x": 0.0, "y": 1.0}, {"x": 1.5, "y": 1.0}]]}, "curves[0][1].x"),
    ({"family": "SDXL", "sampler": "euler", "scheduler": "karras", "steps": 20, "color": 1}, "color"),
])
async def test_bad_requests_name_the_field(client, body, field):
    resp = await client.post("/mad-nodes/staircase", json=body)
    assert resp.status == 400
    answer = await resp.json()
    assert answer["field"] == field and field in answer["error"]


async def test_options_list_comfyuis_samplers_and_schedulers(client, comfy):
    import comfy.samplers

    body = await (await client.get("/mad-nodes/staircase/options")).json()
    assert body["samplers"] == list(comfy.samplers.KSampler.SAMPLERS)
    assert body["schedulers"] == list(comfy.samplers.KSampler.SCHEDULERS)
    assert {"SD15", "SDXL", "SD3", "FLUX"} <= set(body["families"])
