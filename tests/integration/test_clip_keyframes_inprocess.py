"""Scheduled text encoders stay cheap: HOOKS -> Set CLIP Hooks (schedule_clip) -> CLIPTextEncode encodes a
100-point curve a bounded number of times, each encode at a strength within the documented bound of the
curve over its range, while the diffusion model keeps following the curve step by step.

The strength ComfyUI really encoded each range with is read off its conditioning: the nearest of the
conditionings ComfyUI's classic LoRA loader gives at strengths 0, 0.01, ..., 1.
"""

import importlib
import json
import math

import pytest
import torch
from lwb_testkit.tiny_model import tiny_clip
from safetensors.torch import save_file

pytestmark = pytest.mark.comfy

CLIP_BOUND = 0.025  # modules/schedule/clip_curve.py: at most one encode per 0.05 of change
RAMP = [(i / 99, i / 99) for i in range(100)]
WAVE = [(i / 99, round(0.5 + 0.5 * math.sin(6 * i / 99), 4)) for i in range(100)]


def curve_at(points, x: float) -> float:
    """The drawn curve, linear between points (independent of the pack's curve code)."""
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    raise ValueError(x)


@pytest.fixture(scope="module")
def env(comfy, tmp_path_factory):
    loras = tmp_path_factory.mktemp("clip_kf_loras")
    comfy.folder_paths.add_model_folder_path("loras", str(loras), is_default=True)
    g = torch.Generator().manual_seed(3)
    sd = {}
    for layer in (0, 1):
        sd[f"lora_te_text_model_encoder_layers_{layer}_mlp_fc1.lora_up.weight"] = torch.randn(64, 2, generator=g)
        sd[f"lora_te_text_model_encoder_layers_{layer}_mlp_fc1.lora_down.weight"] = torch.randn(2, 32, generator=g)
    save_file(sd, str(loras / "proj.safetensors"))
    loader = importlib.import_module("lora_weights_builder.nodes.multi_scheduled_lora_loader")
    return loader.MultiScheduledLoraLoader(), sd


GRID = [k / 100 for k in range(101)]


@pytest.mark.parametrize("points", [RAMP, WAVE], ids=["ramp", "wave"])
def test_text_encoder_encodes_a_100_point_curve_a_bounded_number_of_times(comfy, env, points):
    import comfy_extras.nodes_hooks as core_hooks

    import nodes as core_nodes

    node, sd = env
    hooks = node.process(json.dumps([{
        "lora_name": "proj.safetensors", "strength_model": 1.0, "strength_clip": 1.0, "enabled": True,
        "points": [{"x": x, "y": y} for x, y in points], "vectors": {}}]))[1]
    clip = tiny_clip(comfy)
    calls = {"n": 0}
    encode = clip.cond_stage_model.encode_token_weights

    def counting(tokens):
        calls["n"] += 1
        return encode(tokens)

    (hooked,) = core_hooks.SetClipHooks().apply_hooks(clip=clip, schedule_clip=True, apply_to_conds=True, hooks=hooks)
    hooked.cond_stage_model.encode_token_weights = counting
    (conds,) = core_nodes.CLIPTextEncode().encode(hooked, "a photo of a cat")
    hooked.cond_stage_model.encode_token_weights = encode

    # The rule: one encode per 0.05 of strength change, plus one per monotone stretch of the drawn curve.
    ys = [y for _, y in points]
    total_change = sum(abs(b - a) for a, b in zip(ys, ys[1:], strict=False))
    turns = sum((b - a) * (c - b) < 0 for a, b, c in zip(ys, ys[1:], ys[2:], strict=False))
    assert calls["n"] == len(conds) <= math.ceil(total_change / 0.05) + turns + 1, (calls["n"], total_change)

    refs = []
    for strength in GRID:
        classic = comfy.sd.load_lora_for_models(None, clip, sd, 0.0, strength)[1]
        refs.append(core_nodes.CLIPTextEncode().encode(classic, "a photo of a cat")[0][0][0])
    assert float((refs[-1] - refs[0]).abs().max()) > 1e-3  # the LoRA changes the encoding
    covered = 0.0
    for entry in conds:
        d = entry[1]
        s = GRID[min(range(len(GRID)), key=lambda i: float((entry[0] - refs[i]).square().sum()))]
        start, end = d["clip_start_percent"], d["clip_end_percent"]
        covered += end - start
        for k in range(21):
            q = start + (end - start) * k / 20
            if points[0][0] <= q <= points[-1][0]:
                assert abs(s - curve_at(points, q)) <= CLIP_BOUND + 0.005, (start, end, q, s)  # + grid step
    assert math.isclose(covered, 1.0)
