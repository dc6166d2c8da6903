"""Benchmark: cost of one staircase preview (`POST /mad-nodes/staircase`'s engine), uncached.

For a few family/sampler pairs at 20 and 150 steps: wall time of `sampler_evaluations.evaluations` (ComfyUI's
sampler over the recording model, cache cleared each time) and of a 100-point curve's strengths, against a
baseline measured in the same run: `comfy.samplers.calculate_sigmas` for the same schedule (the part a
preview cannot avoid). Median of repeats; prints ratios.

usage: .comfyhost/venv/bin/python bench/staircase.py
"""

import importlib
import math
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import lwb_testkit.pack  # noqa: E402,F401
from lwb_testkit.comfy_inprocess import load_comfy  # noqa: E402

load_comfy()
import comfy.samplers  # noqa: E402

engine = importlib.import_module("lora_weights_builder.nodes.sampler_evaluations")
CURVE = [(i / 99, 0.5 + 0.5 * math.sin(i / 99 * 6.28)) for i in range(100)]
REPEATS = 5


def median_s(fn) -> float:
    times = []
    for _ in range(REPEATS):
        engine.evaluations.cache_clear()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    print(f"{'case':38} {'baseline ms':>11} {'preview ms':>10} {'ratio':>7} {'+curve ms':>9}")
    for family, sampler, scheduler in [("SDXL", "euler", "karras"), ("SDXL", "dpmpp_sde", "karras"),
                                       ("FLUX", "heun", "simple"), ("SD3", "uni_pc", "beta")]:
        for steps in (20, 150):
            ms = engine.model_sampling(family)
            base = median_s(lambda ms=ms, sc=scheduler, st=steps: comfy.samplers.calculate_sigmas(ms, sc, st))
            run = median_s(lambda f=family, sa=sampler, sc=scheduler, st=steps: engine.evaluations(f, sa, sc, st))
            with_curve = median_s(lambda f=family, sa=sampler, sc=scheduler, st=steps:
                                  engine.staircase(f, sa, sc, st, [CURVE]))
            case = f"{family} {sampler} {scheduler} {steps}"
            print(f"{case:38} {base * 1e3:11.2f} {run * 1e3:10.1f} {run / base:7.0f} {(with_curve - run) * 1e3:9.1f}")


if __name__ == "__main__":
    main()
