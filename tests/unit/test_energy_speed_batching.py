"""The batched LoRA norms (the fast path of `compute_stats`) give the same energies as ΔW itself.

Modules of equal factor shapes are computed together and flushed when the pending factors exceed a
budget; a module must never pick up a neighbour's values, whatever the batch it lands in.
"""

from __future__ import annotations

import math

import pytest
import torch
from lora_weights_builder.modules.blocks.energy import batched, block_energies, compute_stats, load_factors
from safetensors.torch import save_file

SHAPES = [(64, 48), (48, 64), (64, 48), (32, 32, 3, 3), (64, 48), (16, 80)]  # (out, in[, kh, kw]); repeats batch


def _module(gen, out, inp, *kernel, rank=4, dtype=torch.float16):
    down = (torch.randn(rank, inp, *kernel, generator=gen) * 0.1).to(dtype)
    up = (torch.randn(out, rank, *((1,) * len(kernel)), generator=gen) * 0.1).to(dtype)
    return up, down


def _lora_file(tmp_path, dtype=torch.float16, poison: int | None = None):
    """An SD1.5 LoRA, one module per SHAPES entry in distinct input blocks; returns path and {block: ‖ΔW‖²}."""
    gen = torch.Generator().manual_seed(3)
    tensors, expected = {}, {}
    blocks = [(1, "input_1"), (2, "input_2"), (4, "input_4"), (5, "input_5"), (7, "input_7"), (8, "input_8")]
    for i, ((n, block), shape) in enumerate(zip(blocks, SHAPES, strict=False)):
        name = f"lora_unet_input_blocks_{n}_1_proj_in"
        up, down = _module(gen, *shape, dtype=dtype)
        if i == poison:
            up[0, 0] = float("nan")
        alpha = 2.0 + i
        tensors.update({f"{name}.lora_up.weight": up, f"{name}.lora_down.weight": down,
                        f"{name}.alpha": torch.tensor(alpha)})
        dw = (alpha / 4) * (up.double().flatten(1) @ down.double().flatten(1))
        expected[block] = float((dw * dw).sum())
    path = tmp_path / "x.safetensors"
    save_file(tensors, str(path))
    return path, expected


@pytest.mark.parametrize("budget", [1, 1_500, 1 << 22])  # flush after every module / mid-way / only at the end
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_batched_energies_match_materialised_delta(tmp_path, monkeypatch, budget, dtype):
    monkeypatch.setattr(batched, "BATCH_VALUES", budget)
    path, expected = _lora_file(tmp_path, dtype)
    got = block_energies(path, "SD15")
    assert set(got) == set(expected)
    for block, value in expected.items():
        assert math.isclose(got[block], value, rel_tol=1e-5), block


def test_batched_path_agrees_with_per_module_path(tmp_path):
    """keep_deltas=True builds every ΔW object one by one (the combiner's path); the norms are the same."""
    path, _ = _lora_file(tmp_path)
    fast = load_factors(path, "SD15", keep_deltas=False)
    slow = load_factors(path, "SD15", keep_deltas=True)
    assert fast.adapter_counts == slow.adapter_counts == {"lora": len(SHAPES)}
    for block, value in slow.block_sq_norms().items():
        assert math.isclose(fast.block_sq_norms()[block], value, rel_tol=1e-6), block


def test_nan_in_one_module_does_not_spill_into_its_batch(tmp_path):
    path, expected = _lora_file(tmp_path, poison=2)  # input_4 shares its shape (and batch) with input_1, input_7
    stats = compute_stats(path, "SD15")
    assert stats["unmeasured"]["count"] == 1
    assert "non-finite" in stats["unmeasured"]["examples"][0]
    assert stats["block_norms"]["input_4"] == 0.0
    for block in ("input_1", "input_7"):
        assert math.isclose(stats["block_norms"][block] ** 2, expected[block], rel_tol=1e-5)
