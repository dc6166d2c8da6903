"""Every way block energy is computed agrees with a float64 brute force (relative error < 1e-5).

LoHa takes one of two exact forms by cost (symmetric Gram for small ranks, cache-sized tiles for large
ones; a Gram sum that cancels too much for float32 falls back to tiles), full diffs are streamed from
the file in row chunks (holes of sparse files skipped); each form is forced here at sizes where it is
the one chosen, with default and tiny tiles/chunks (partial ones), files of many modules are measured
by several threads, and the inner products the combiner uses are checked the same way.
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


def chosen_form(out, inp, r1, r2):
    return "gram" if hadamard.gram_cost(out, inp, r1, r2) <= hadamard.tiled_cost(out, inp, r1, r2) else "tiled"


@pytest.mark.parametrize(("out", "inp", "r1", "r2", "form"), [
    (640, 640, 4, 4, "gram"),
    (640, 960, 8, 8, "gram"),
    (700, 640, 6, 3, "gram"),  # different ranks
    (1280, 1280, 16, 16, "gram"),
    (10240, 128, 4, 4, "gram"),  # tall: many column chunks of the A side
    (333, 1000, 32, 32, "tiled"),  # rows not a multiple of a tile: a partial last tile
    (100, 2048, 16, 8, "tiled"),  # different ranks: two matmuls per tile
    (64, 70000, 16, 16, "tiled"),  # a row wider than a 4096-value tile; a partial tile at the default
])
@pytest.mark.parametrize("tile", [None, 4096])  # the default, and tiles/chunks small enough to split every case
def test_loha_energy_matches_float64_brute_force(tmp_path, monkeypatch, out, inp, r1, r2, form, tile):
    if tile:
        monkeypatch.setattr(hadamard, "TILE_VALUES", tile)
        monkeypatch.setattr(hadamard, "GRAM_CHUNK_VALUES", tile)
    assert chosen_form(out, inp, r1, r2) == form  # the case covers the form it is named for
    t, dw = loha(torch.Generator().manual_seed(out + inp + r1), out, inp, r1, r2)
    assert close(block_energies(write(tmp_path, "h", t), "SD15")["input_4"], float((dw * dw).sum()))


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32])
def test_loha_whose_products_nearly_cancel_is_still_exact(tmp_path, dtype):
    """w1a's columns nearly equal and w1b's rows in opposite pairs: w1a·w1b is ~100x smaller than its
    terms, the float32 Gram sum cancels (error ~1e-4 if it were kept) and the module is rebuilt in tiles."""
    out, inp, r = 640, 640, 4
    assert chosen_form(out, inp, r, r) == "gram"
    gen = torch.Generator().manual_seed(11)
    w1a = torch.randn(out, 1, generator=gen) + 1e-2 * torch.randn(out, r, generator=gen)
    row = torch.randn(1, inp, generator=gen)
    w1b = torch.cat([row, -row] * (r // 2)) + 1e-2 * torch.randn(r, inp, generator=gen)
    t = {"hada_w1_a": w1a, "hada_w1_b": w1b, "hada_w2_a": torch.randn(out, r, generator=gen),
         "hada_w2_b": torch.randn(r, inp, generator=gen)}
    t = {k: v.to(dtype) for k, v in t.items()}
    d = {k: v.double() for k, v in t.items()}
    dw = (d["hada_w1_a"] @ d["hada_w1_b"]) * (d["hada_w2_a"] @ d["hada_w2_b"])
    path = write(tmp_path, "c", {f"{SD}.{k}": v for k, v in t.items()})
    assert close(block_energies(path, "SD15")["input_4"], float((dw * dw).sum()))


def many_module_lora(gen):
    """An SD1.5 file of LoHa (both forms), LoKr, full-diff and plain LoRA modules over several blocks,
    with each block's float64 brute-force energy."""
    tensors, expected = {}, {}
    names = [("lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_" + p, "input_4") for p in "qkv"]
    names += [("lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_attn2_to_" + p, "output_11") for p in "qkv"]
    names += [("lora_unet_mid_block_attentions_0_proj_out", "middle_0"),
              ("lora_unet_up_blocks_1_resnets_0_conv1", "output_3")]
    for k, (name, block) in enumerate(names):
        kind = ("loha_small", "loha_large", "lokr", "full", "lora")[k % 5]
        out, inp = 96 + 32 * k, 160
        if kind.startswith("loha"):
            r = 4 if kind == "loha_small" else 24
            t, dw = loha(gen, out, inp, r, r)
            t = {k.replace(SD, name): v for k, v in t.items()}
        elif kind == "lokr":
            w1, w2 = _r(gen, 4, 8), _r(gen, out // 4, inp // 8).half()
            t = {f"{name}.lokr_w1": w1, f"{name}.lokr_w2": w2}
            dw = torch.kron(w1.double(), w2.double())
        elif kind == "full":
            t = {f"{name}.diff": _r(gen, out, inp).to(torch.bfloat16)}
            dw = t[f"{name}.diff"].double()
        else:
            down, up = _r(gen, 8, inp), _r(gen, out, 8)
            t = {f"{name}.lora_down.weight": down, f"{name}.lora_up.weight": up}
            dw = up.double() @ down.double()
        tensors |= t
        expected[block] = expected.get(block, 0.0) + float((dw * dw).sum())
    return tensors, expected


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_many_modules_measured_by_several_threads_match_float64_brute_force(tmp_path, threads):
    tensors, expected = many_module_lora(torch.Generator().manual_seed(5))
    energies = block_energies(write(tmp_path, "m", tensors), "SD15", threads=threads)
    assert energies.keys() == expected.keys()
    for block, value in expected.items():
        assert close(energies[block], value), block


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
