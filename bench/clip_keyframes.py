"""Benchmark: scheduled text encoding (Set CLIP Hooks, schedule_clip) of a 100-point curve, ours vs core.

Same CLIP (ComfyUI's SD1.5 CLIP with a small text model: real tokenizer, real encode path), same
LoRA on both encoder layers, same 100-point curves, in one process:
- ours: Multi Scheduled LoRA Loader HOOKS -> Set CLIP Hooks (schedule_clip) -> CLIPTextEncode
  (the text encoder's own keyframes, `modules/schedule/clip_curve.py`);
- core: Create Hook LoRA with one keyframe per curve point (what a user builds from core nodes:
  Create Hook Keyframe per point) -> Set CLIP Hooks (schedule_clip) -> CLIPTextEncode.
Printed per curve: encodes (text-encoder forward passes), conditionings held, wall time (median of
repeats) and the ratio ours / core.

usage: .comfyhost/venv/bin/python bench/clip_keyframes.py [--repeats 3]
"""

import argparse
import importlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import lwb_testkit.pack  # noqa: E402,F401
from lwb_testkit.comfy_inprocess import load_comfy  # noqa: E402
from lwb_testkit.tiny_model import tiny_clip  # noqa: E402

comfy_ns = load_comfy()
import comfy.hooks  # noqa: E402
import comfy_extras.nodes_hooks as core_hooks  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

import nodes as core_nodes  # noqa: E402

CURVES = {
    "ramp 0->1": [(i / 99, i / 99) for i in range(100)],
    "wave": [(i / 99, round(0.5 + 0.5 * math.sin(6 * i / 99), 4)) for i in range(100)],
    "fade in, hold, fade out": [(i / 99, round(min(1.0, 3 * i / 99, 3 * (1 - i / 99)), 4)) for i in range(100)],
}
PROMPT = "a watercolor painting of a knight in armor, city at night, neon lights"


def lora_sd() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    sd = {}
    for layer in (0, 1):
        sd[f"lora_te_text_model_encoder_layers_{layer}_mlp_fc1.lora_up.weight"] = torch.randn(64, 2, generator=g)
        sd[f"lora_te_text_model_encoder_layers_{layer}_mlp_fc1.lora_down.weight"] = torch.randn(2, 32, generator=g)
    return sd


def encode_counted(clip, hooks) -> tuple[int, int]:
    (hooked,) = core_hooks.SetClipHooks().apply_hooks(clip=clip, schedule_clip=True, apply_to_conds=True, hooks=hooks)
    model = hooked.cond_stage_model
    original = model.encode_token_weights
    calls = {"n": 0}

    def counting(tokens):
        calls["n"] += 1
        return original(tokens)

    model.encode_token_weights = counting
    try:
        (conds,) = core_nodes.CLIPTextEncode().encode(hooked, PROMPT)
    finally:
        model.encode_token_weights = original
    return calls["n"], len(conds)


def ours(node, points):
    config = json.dumps([{"lora_name": "bench_te.safetensors", "strength_model": 1.0, "strength_clip": 1.0,
                          "enabled": True, "points": [{"x": x, "y": y} for x, y in points], "vectors": {}}])
    return node.process(config)[1]


def core(sd, points):
    hooks = comfy.hooks.create_hook_lora(sd, strength_model=1.0, strength_clip=1.0)
    group = comfy.hooks.HookKeyframeGroup()
    for x, y in points:
        group.add(comfy.hooks.HookKeyframe(strength=y, start_percent=x, guarantee_steps=1))
    hooks.set_keyframes_on_hooks(group)
    return hooks


def timed(fn, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lwb_bench_clip_"))
    comfy_ns.folder_paths.add_model_folder_path("loras", str(folder), is_default=True)
    sd = lora_sd()
    save_file(sd, str(folder / "bench_te.safetensors"))
    node = importlib.import_module("lora_weights_builder.nodes.multi_scheduled_lora_loader").MultiScheduledLoraLoader()
    clip = tiny_clip(comfy_ns)
    print(f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; tiny SD1.5 CLIP, prompt of {len(PROMPT)} chars")
    for name, points in CURVES.items():
        our_s, (our_n, our_c) = timed(lambda p=points: encode_counted(clip, ours(node, p)), args.repeats)
        core_s, (core_n, core_c) = timed(lambda p=points: encode_counted(clip, core(sd, p)), args.repeats)
        print(f"{name:24s} ours: {our_n:3d} encodes, {our_c:3d} conditionings, {our_s * 1e3:7.0f} ms | "
              f"core hook nodes: {core_n:3d} encodes, {core_c:3d} conditionings, {core_s * 1e3:7.0f} ms | "
              f"ours/core time {our_s / core_s:.2f}x")


if __name__ == "__main__":
    main()
