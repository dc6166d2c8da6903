"""Combiner speed: 8 SDXL rank-32 LoRAs (every attention/ff layer of every transformer block, both CLIPs).

Prints:
- cold combine (factors read from disk, all pairwise block inner products computed) and warm combine
  (profiles and pair grams cached: what re-running after changing strengths or the policy costs), with
  the text outputs; target: warm < 1 s;
- the pairwise overlap of all 28 pairs from the factors (`blocks.energy.factor_gram`, what the combiner
  uses) against the same inner products from materialised ΔW (each ΔW built once per weight, stacked
  and multiplied: the efficient dense baseline), on the same loaded factors; target: ratio >= 10. The
  largest difference is printed as a cosine difference, |Δ⟨a,b⟩| / (‖a‖·‖b‖) per block. Both run with
  one torch thread (the combiner measures with one thread, see `combiner/analysis.py`);
- `POST /mad-nodes/combine` for the 8 LoRAs through a real aiohttp server (loopback HTTP, name guard,
  JSON both ways) with warm caches, per policy, against the same combine called in-process (engine and
  answer dict, the floor any route has to pay); target: < 500 ms per request.

    .comfyhost/venv/bin/python bench/combiner.py [--dir DIR]

The LoRA files (about 1.8 GB) are written once into DIR (default /tmp/lwb-bench-combiner) and reused.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import lwb_testkit.pack  # noqa: E402,F401  (registers lora_weights_builder)
from lora_weights_builder.modules.blocks.energy import factor_gram, load_factors  # noqa: E402
from lora_weights_builder.modules.combiner.analysis import LoraAnalyzer  # noqa: E402
from lora_weights_builder.modules.combiner.engine import CombineInput, combine  # noqa: E402
from lora_weights_builder.modules.combiner.report import lora_config_text, report_text  # noqa: E402
from lora_weights_builder.modules.combiner.response import combine_response  # noqa: E402
from lora_weights_builder.modules.schedule.model import LoraItem  # noqa: E402
from lora_weights_builder.modules.schedule.serialize import serialize_schedule  # noqa: E402
from lora_weights_builder.routes.combine_routes import CombineRoutes  # noqa: E402
from lwb_testkit.lora_factory import make_lora  # noqa: E402
from lwb_testkit.route_app import routes_app  # noqa: E402
from lwb_testkit.tmp_model_folders import tmp_model_folders  # noqa: E402

N, RANK = 8, 32
FOLDERS = ["characters", "styles", "clothing", "poses", "characters", "styles", "concepts", "details"]


def write_loras(directory: Path) -> list[Path]:
    paths = []
    for i in range(N):
        path = directory / FOLDERS[i] / f"sdxl_r{RANK}_{i}.safetensors"
        if not path.exists():
            make_lora(path, arch="SDXL", rank=RANK, alpha=RANK / 2, modules="all", seed=100 + i)
        paths.append(path)
    return paths


def run_combine(inputs, analyzer, policy="budget"):
    result = combine(inputs, policy, 1.5, analyzer)
    return result, report_text(result), lora_config_text(result), serialize_schedule(result.schedule_items())


def dense_grams(factors) -> dict:
    """Same inner products from ΔW materialised per weight (float32), stacked: one k×k product per weight."""
    out = defaultdict(float)
    for block in sorted({b for f in factors for b in f.blocks}):
        by_target = defaultdict(list)
        for i, f in enumerate(factors):
            for e in f.blocks.get(block, []):
                by_target[e.target.name].append((i, e))
        for group in by_target.values():
            if len(group) < 2:
                continue
            dense = torch.stack([e.delta.dense_rows(0, e.delta.rows).reshape(-1) for _, e in group])
            g = (dense @ dense.T).double()
            for a in range(len(group)):
                for b in range(a + 1, len(group)):
                    out[(group[a][0], group[b][0], block)] += float(g[a, b])
    return out


async def route_timings(directory: Path, inputs, analyzer, policy: str, repeats: int = 7) -> tuple[list, list]:
    """(seconds per POST /mad-nodes/combine, seconds per in-process combine + answer), warm, same requests."""
    from aiohttp import ClientSession
    from aiohttp.test_utils import TestServer

    app = routes_app(CombineRoutes(tmp_model_folders({"loras": [directory]}), analyzer))
    body = {"loras": [{"lora_name": i.name, "strength_model": i.item.strength_model,
                       "strength_clip": i.item.strength_clip} for i in inputs], "policy": policy, "headroom": 1.5}
    route, direct = [], []
    async with TestServer(app) as server, ClientSession() as session:
        for _ in range(repeats):
            t = time.perf_counter()
            async with session.post(server.make_url("/mad-nodes/combine"), json=body) as resp:
                assert resp.status == 200, await resp.text()
                answer = await resp.json()
            route.append(time.perf_counter() - t)
            t = time.perf_counter()
            local = combine_response(combine(inputs, policy, 1.5, analyzer), inputs)
            direct.append(time.perf_counter() - t)
    assert answer["schedule_string"] == local["schedule_string"], "route and engine differ"
    return route, direct


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="/tmp/lwb-bench-combiner")
    args = parser.parse_args()
    directory = Path(args.dir)
    t = time.perf_counter()
    paths = write_loras(directory)
    print(f"LoRA files ready in {time.perf_counter() - t:.1f} s ({sum(p.stat().st_size for p in paths) / 1e6:.0f} MB)")
    inputs = [CombineInput(str(p.relative_to(directory)), str(p), "SDXL", FOLDERS[i].rstrip("s"),
                           LoraItem(str(p.relative_to(directory)), 0.6 + 0.1 * i, 1.0)) for i, p in enumerate(paths)]
    analyzer = LoraAnalyzer()
    t = time.perf_counter()
    cold = run_combine(inputs, analyzer)
    cold_s = time.perf_counter() - t
    warm = []
    for policy in ("budget", "role_aware", "weighted", "budget", "budget"):
        t = time.perf_counter()
        again = run_combine(inputs, analyzer, policy)
        warm.append(time.perf_counter() - t)
    assert again[1:] == cold[1:], "warm and cold outputs differ"
    print(f"cold combine (read factors + all pair grams): {cold_s:.2f} s")
    print(f"warm combine (cached profiles and grams, outputs formatted): "
          f"median {statistics.median(warm) * 1000:.1f} ms, max {max(warm) * 1000:.1f} ms  [target < 1000 ms]")

    for policy in ("interference", "budget"):
        route, direct = asyncio.run(route_timings(directory, inputs, analyzer, policy))
        print(f"POST /mad-nodes/combine, 8 LoRAs, warm, {policy}: median {statistics.median(route) * 1000:.1f} ms, "
              f"max {max(route) * 1000:.1f} ms  [target < 500 ms]; in-process combine + answer (baseline) "
              f"median {statistics.median(direct) * 1000:.1f} ms; ratio route/baseline "
              f"{statistics.median(route) / statistics.median(direct):.2f}")

    t = time.perf_counter()
    factors = [load_factors(p, "SDXL") for p in paths]
    print(f"factors loaded in {time.perf_counter() - t:.1f} s (not part of the timings below)")
    torch.set_num_threads(1)
    t = time.perf_counter()
    fast = {(i, j): factor_gram(factors[i], factors[j]) for i in range(N) for j in range(i + 1, N)}
    fast_s = time.perf_counter() - t
    t = time.perf_counter()
    dense = dense_grams(factors)
    dense_s = time.perf_counter() - t
    sq = [f.block_sq_norms() for f in factors]
    worst = max(abs(fast[(i, j)][b] - v) / max(1e-30, (sq[i][b] * sq[j][b]) ** 0.5) for (i, j, b), v in dense.items())
    print(f"pairwise overlap, 28 pairs: factors {fast_s:.2f} s, materialised dW {dense_s:.2f} s, "
          f"ratio {dense_s / fast_s:.1f}x  [target >= 10x]; largest cosine difference {worst:.1e}")


if __name__ == "__main__":
    main()
