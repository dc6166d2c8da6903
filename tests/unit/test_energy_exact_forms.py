"""Every way block energy is computed agrees with a float64 brute force (relative error < 1e-5).

LoHa takes one of two exact forms by cost (symmetric Gram for small ranks, cache-sized tiles for large
ones), full diffs are streamed from the file in row chunks (holes of sparse files skipped); each form
is forced here at sizes where it is the one chosen, and the inner products the combiner uses are
checked the same way.
"""

from __future__ import annotations

import math

import pytest
import torch
from lora_weights_builder.modules.blocks.energy import block_energies, block_gram, hadamard, reader
from safetensors.torch import save_file

REL = 1e-5
SD = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q"  # SD1.5 input_4


def _r(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float32) * 0.1


def loha(gen, out, inp, r1, r2, alpha=4.0, dtype=torch.float16):
    t = {"hada_w1_a": _r(gen, out, r1), "hada_w1_b": _r(gen, r1, inp), "hada_w2_a": _r(gen, out, r2),
         "hada_w2_b": _r(gen, r2, inp)}
    t = {k: v.to(dtype) for k, v in t.items()}
    d = {k: v.double() for k, v in t.items()}
    dw = (alpha / r1) * ((d["hada_w1_a"] @ d["hada_w1_b"]) * (d["hada_w2_a"] @ d["hada_w2_b"]))
    return {f"{SD}.{k}": v for k, v in t.items()} | {f"{SD}.alpha": torch.tensor(alpha)}, dw


def write(tmp_path, name, tensors):
    path = tmp_path / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))
    return path


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)


@pytest.mark.parametrize(("out", "inp", "r1", "r2", "form"), [
    (640, 640, 4, 4, "gram"),
    (640, 960, 8, 8, "gram"),
    (700, 640, 6, 3, "gram"),
    (1280, 1280, 16, 16, "tiled"),
    (333, 1000, 32, 32, "tiled"),  # rows not a multiple of a 4096-value tile: a partial last tile
    (320, 2048, 16, 8, "tiled"),  # different ranks: two matmuls per tile
    (64, 70000, 16, 16, "tiled"),  # a row wider than a 4096-value tile; a partial tile at the default
])
@pytest.mark.parametrize("tile", [None, 4096])  # the default, and tiles small enough to split every case
def test_loha_energy_matches_float64_brute_force(tmp_path, monkeypatch, out, inp, r1, r2, form, tile):
    if tile:
        monkeypatch.setattr(hadamard, "TILE_VALUES", tile)
    chosen = "gram" if hadamard.gram_cost(out, inp, r1, r2) <= hadamard.tiled_cost(out, inp, r1, r2) else "tiled"
    assert chosen == form  # the case covers the form it is named for
    t, dw = loha(torch.Generator().manual_seed(out + inp + r1), out, inp, r1, r2)
    assert close(block_energies(write(tmp_path, "h", t), "SD15")["input_4"], float((dw * dw).sum()))


@pytest.mark.parametrize("rank", [4, 16])  # 4: face-splitting P·Q; 16: ΔW rebuilt in row chunks
def test_loha_inner_products_match_float64_brute_force(tmp_path, rank):
    gen = torch.Generator().manual_seed(rank)
    ta, dwa = loha(gen, 320, 320, rank, rank)
    tb, dwb = loha(gen, 320, 320, rank, rank, alpha=2.0)
    lora_b = {f"{SD}.lora_down.weight": _r(gen, 8, 320), f"{SD}.lora_up.weight": _r(gen, 320, 8)}
    dwc = lora_b[f"{SD}.lora_up.weight"].double() @ lora_b[f"{SD}.lora_down.weight"].double()
    pa, pb, pc = write(tmp_path, "a", ta), write(tmp_path, "b", tb), write(tmp_path, "c", lora_b)
    assert close(block_gram(pa, pb, "SD15")["input_4"], float((dwa * dwb).sum()))
    assert close(block_gram(pa, pc, "SD15")["input_4"], float((dwa * dwc).sum()))


def test_full_diff_streamed_in_chunks_matches(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "CHUNK_BYTES", 4096)  # many chunks, one partial
    gen = torch.Generator().manual_seed(7)
    diff, bias = _r(gen, 300, 77).to(torch.bfloat16), _r(gen, 300)
    conv = _r(gen, 40, 12, 3, 3)
    name2 = "lora_unet_down_blocks_0_resnets_0_conv1"
    t = {f"{SD}.diff": diff, f"{SD}.diff_b": bias, f"{name2}.diff": conv}
    energies = block_energies(write(tmp_path, "f", t), "SD15")
    assert close(energies["input_4"], float(diff.double().square().sum() + bias.double().square().sum()))
    assert close(energies["input_1"], float(conv.double().square().sum()))


def test_all_zero_file_gives_zero_energy(tmp_path):
    t = {f"{SD}.lora_down.weight": torch.zeros(4, 320), f"{SD}.lora_up.weight": torch.zeros(320, 4),
         f"{SD}.diff_b": torch.zeros(320)}
    assert block_energies(write(tmp_path, "z", t), "SD15") == {"input_4": 0.0}
