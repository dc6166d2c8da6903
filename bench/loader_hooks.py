"""Benchmark: the Multi Scheduled LoRA Loader's MODEL path against ComfyUI's core hook nodes.

Same model, same three LoRAs, same 100-point curves, same sampler, in one process:
- re-patch events in a 20-step run (ModelPatcher.patch_hooks calls that patch weights),
- wall time of the run (median of repeats), ratio ours / core,
- RSS growth across 10 consecutive runs of our node + sampling.
The core baseline is what a user builds from core nodes: Create Hook LoRA per LoRA, one keyframe
per curve point (Create Hook Keyframe: guarantee_steps=1), hooks on the conditionings.

usage: .comfyhost/venv/bin/python bench/loader_hooks.py
"""

import importlib
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import lwb_testkit.pack  # noqa: E402,F401
from lwb_testkit.comfy_inprocess import load_comfy  # noqa: E402

comfy_ns = load_comfy()
import comfy.hooks  # noqa: E402
import comfy.model_patcher  # noqa: E402
import comfy.sample  # noqa: E402
import psutil  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

LAYERS, WIDTH, RANK, STEPS = 8, 512, 16, 20


class WideNet(torch.nn.Module):
    def __init__(self, device=None, operations=None, dtype=None, **_):
        super().__init__()
        self.dtype = torch.float32
        self.layers = torch.nn.ModuleList(torch.nn.Linear(WIDTH, WIDTH, bias=False) for _ in range(LAYERS))
        self.proj = torch.nn.Linear(4, WIDTH, bias=False)
        self.back = torch.nn.Linear(WIDTH, 4, bias=False)

    def forward(self, x, timesteps=None, context=None, control=None, transformer_options=None, **_):
        h = self.proj(x.movedim(1, -1))
        for layer in self.layers:
            h = torch.tanh(layer(h))
        return self.back(h).movedim(-1, 1) * 0.01


def curve(kind: int) -> list[tuple[float, float]]:
    xs = [i / 99 for i in range(100)]
    shapes = [lambda x: x, lambda x: 1 - abs(2 * x - 1), lambda x: 0.5 + 0.5 * math.sin(6 * x)]
    return [(x, round(shapes[kind](x), 4)) for x in xs]


def write_loras(folder: Path) -> list[tuple[str, dict]]:
    out = []
    for n in range(3):
        g = torch.Generator().manual_seed(n)
        sd = {}
        for i in range(LAYERS):
            sd[f"lora_unet_layers_{i}.lora_up.weight"] = torch.randn(WIDTH, RANK, generator=g) * 0.01
            sd[f"lora_unet_layers_{i}.lora_down.weight"] = torch.randn(RANK, WIDTH, generator=g) * 0.01
            sd[f"lora_unet_layers_{i}.alpha"] = torch.tensor(float(RANK))
        name = f"bench_{n}.safetensors"
        save_file(sd, str(folder / name))
        out.append((name, sd))
    return out


def new_model():
    config = comfy_ns.supported_models.SD15({})
    base = comfy_ns.model_base.BaseModel(config, device=torch.device("cpu"), unet_model=WideNet)
    return comfy.model_patcher.ModelPatcher(base, load_device=torch.device("cpu"), offload_device=torch.device("cpu"))


class PatchCounter:
    def __init__(self):
        self.count = 0
        self._orig = comfy.model_patcher.ModelPatcher.patch_hooks

    def __enter__(self):
        counter = self

        def counting(patcher, hooks):
            if hooks is not None:
                counter.count += 1
            return counter._orig(patcher, hooks)

        comfy.model_patcher.ModelPatcher.patch_hooks = counting
        return self

    def __exit__(self, *exc):
        comfy.model_patcher.ModelPatcher.patch_hooks = self._orig


def sample(model, positive_extra=None):
    ctx = torch.zeros(1, 1, 8)
    pos = [[ctx, dict(positive_extra or {})]]
    neg = [[ctx, dict(positive_extra or {})]]
    noise = torch.randn(1, 4, 16, 16, generator=torch.Generator().manual_seed(0))
    comfy.sample.sample(model, noise, STEPS, 1.0, "euler", "normal", pos, neg, torch.zeros(1, 4, 16, 16),
                        disable_pbar=True, seed=0)


def run_ours(node, loras, model):
    config = json.dumps([{"lora_name": name, "strength_model": 1.0, "strength_clip": 1.0, "enabled": True,
                          "points": [{"x": x, "y": y} for x, y in curve(i)]} for i, (name, _) in enumerate(loras)])
    out = node.process(config, model=model.clone())[0]
    sample(out)


def run_core(loras, model):
    groups = []
    for i, (_, sd) in enumerate(loras):
        hooks = comfy.hooks.create_hook_lora(sd, 1.0, 1.0)
        kf = comfy.hooks.HookKeyframeGroup()
        kf.keyframes = [comfy.hooks.HookKeyframe(y, x) for x, y in curve(i)]  # Create Hook Keyframe: guarantee 1
        kf.reset()
        hooks.set_keyframes_on_hooks(kf)
        groups.append(hooks)
    sample(model.clone(), {"hooks": comfy.hooks.HookGroup.combine_all_hooks(groups)})


def timed(fn, repeats=5):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    folder = Path(tempfile.mkdtemp(prefix="lwb-bench-loras-"))
    comfy_ns.folder_paths.add_model_folder_path("loras", str(folder), is_default=True)
    loras = write_loras(folder)
    node = importlib.import_module("lora_weights_builder.nodes.multi_scheduled_lora_loader").MultiScheduledLoraLoader()
    # One model for all runs, as ComfyUI keeps a loaded checkpoint between prompts; each run clones it.
    model = new_model()
    run_ours(node, loras, model)  # warm-up: file cache, imports
    run_core(loras, model)

    with PatchCounter() as ours_count:
        run_ours(node, loras, model)
    with PatchCounter() as core_count:
        run_core(loras, model)
    print(f"re-patch events, {STEPS} steps, 3 LoRAs x 100-point curves: ours {ours_count.count}, "
          f"core {core_count.count}, ratio {ours_count.count / max(1, core_count.count):.2f}")

    t_ours = timed(lambda: run_ours(node, loras, model))
    t_core = timed(lambda: run_core(loras, model))
    print(f"wall time per run (median of 5): ours {t_ours * 1000:.1f} ms, core {t_core * 1000:.1f} ms, "
          f"ratio {t_ours / t_core:.2f}")

    proc = psutil.Process()
    rss = []
    for _ in range(10):
        run_ours(node, loras, model)
        rss.append(proc.memory_info().rss)
    growth = (rss[-1] - rss[0]) / rss[0]
    print(f"RSS over 10 runs: first {rss[0] / 2**20:.1f} MiB, last {rss[-1] / 2**20:.1f} MiB, "
          f"growth {growth * 100:.2f}%")


if __name__ == "__main__":
    main()
