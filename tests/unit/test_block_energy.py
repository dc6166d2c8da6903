"""Block energy and inner products against ΔW materialised with torch (ComfyUI's formulas)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from lora_weights_builder.modules.blocks.energy import block_energies, block_gram, compute_stats, load_factors
from safetensors.torch import save_file

REL = 1e-5


def _g(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _r(gen, *shape, scale=0.1):
    return torch.randn(*shape, generator=gen, dtype=torch.float32) * scale


def lora(name, out, inp, rank, gen, alpha=None, kernel=None, peft=False):
    """Tensors of a LoRA module plus its ΔW (out, in·k·k) computed the way ComfyUI does."""
    k = kernel or ()
    down = _r(gen, rank, inp, *k)
    up = _r(gen, out, rank, *((1,) * len(k)))
    d, u = (".lora_A.weight", ".lora_B.weight") if peft else (".lora_down.weight", ".lora_up.weight")
    t = {name + d: down, name + u: up}
    scale = 1.0
    if alpha is not None:
        t[name + ".alpha"] = torch.tensor(float(alpha))
        scale = alpha / rank
    dw = scale * (up.double().flatten(1) @ down.double().flatten(1))
    return t, dw


def loha(name, out, inp, rank, gen, alpha):
    w1a, w1b, w2a, w2b = _r(gen, out, rank), _r(gen, rank, inp), _r(gen, out, rank), _r(gen, rank, inp)
    t = {f"{name}.hada_w1_a": w1a, f"{name}.hada_w1_b": w1b, f"{name}.hada_w2_a": w2a, f"{name}.hada_w2_b": w2b,
         f"{name}.alpha": torch.tensor(float(alpha))}
    dw = (alpha / rank) * ((w1a.double() @ w1b.double()) * (w2a.double() @ w2b.double()))
    return t, dw


def lokr(name, gen, a, b, c, d, *, factored_w1=False, factored_w2=False, alpha=None, rank=2, kernel=None):
    t = {}
    dim = None
    if factored_w1:
        w1a, w1b = _r(gen, a, rank), _r(gen, rank, b)
        t.update({f"{name}.lokr_w1_a": w1a, f"{name}.lokr_w1_b": w1b})
        w1, dim = w1a.double() @ w1b.double(), rank
    else:
        w1 = _r(gen, a, b)
        t[f"{name}.lokr_w1"] = w1
        w1 = w1.double()
    if factored_w2:
        w2a, w2b = _r(gen, c, rank), _r(gen, rank, d)
        t.update({f"{name}.lokr_w2_a": w2a, f"{name}.lokr_w2_b": w2b})
        w2, dim = w2a.double() @ w2b.double(), rank
    else:
        w2 = _r(gen, c, d, *(kernel or ()))
        t[f"{name}.lokr_w2"] = w2
        w2 = w2.double()
    if alpha is not None:
        t[f"{name}.alpha"] = torch.tensor(float(alpha))
    scale = alpha / dim if alpha is not None and dim is not None else 1.0
    w1k = w1[:, :, None, None] if w2.dim() == 4 else w1
    dw = scale * torch.kron(w1k, w2).reshape(a * c, -1)
    return t, dw


def write(tmp_path, name, tensors):
    path = tmp_path / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))
    return path


def sq(dw: torch.Tensor) -> float:
    return float((dw * dw).sum())


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)


SD = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q"  # SD1.5 input_4


@pytest.mark.parametrize("alpha", [None, 8.0])
@pytest.mark.parametrize("peft", [False, True])
def test_lora_energy_matches_materialised_delta(tmp_path, alpha, peft):
    gen = _g(1)
    t1, d1 = lora(SD, 64, 48, 4, gen, alpha=alpha, peft=peft)
    t2, d2 = lora("lora_unet_up_blocks_3_attentions_2_proj_out", 32, 40, 3, gen, alpha=alpha, peft=peft)
    energies = block_energies(write(tmp_path, "l", {**t1, **t2}), "SD15")
    assert close(energies["input_4"], sq(d1))
    assert close(energies["output_11"], sq(d2))


def test_conv_lora_and_tucker_mid_match(tmp_path):
    gen = _g(2)
    t, dw = lora("lora_unet_down_blocks_0_resnets_0_conv1", 16, 8, 4, gen, alpha=2.0, kernel=(3, 3))
    # LoCon with a Tucker core: down (r, in, 1, 1), mid (r, r, 3, 3), up (out, r, 1, 1).
    name = "lora_unet_up_blocks_1_resnets_0_conv2"
    down, mid, up = _r(gen, 3, 12, 1, 1), _r(gen, 3, 3, 3, 3), _r(gen, 10, 3, 1, 1)
    tucker = {f"{name}.lora_down.weight": down, f"{name}.lora_mid.weight": mid, f"{name}.lora_up.weight": up,
              f"{name}.alpha": torch.tensor(1.5)}
    core = torch.einsum("cjhw,ji->cihw", mid.double(), down.double().flatten(1))
    dw_tucker = (1.5 / 3) * (up.double().flatten(1) @ core.flatten(1))
    energies = block_energies(write(tmp_path, "c", {**t, **tucker}), "SD15")
    assert close(energies["input_1"], sq(dw))
    assert close(energies["output_3"], sq(dw_tucker))


@pytest.mark.parametrize("rank", [2, 9])  # 2: exact low-rank P·Q form; 9: chunked rebuild
def test_loha_energy_matches(tmp_path, rank):
    t, dw = loha(SD, 24, 20, rank, _g(3), alpha=4.0)
    assert close(block_energies(write(tmp_path, "h", t), "SD15")["input_4"], sq(dw))


@pytest.mark.parametrize("kwargs", [
    dict(),  # full w1, full w2, no alpha: scale 1
    dict(alpha=3.0),  # alpha ignored by ComfyUI when nothing is factored
    dict(factored_w2=True, alpha=3.0),
    dict(factored_w1=True, factored_w2=True, alpha=5.0, rank=3),
    dict(kernel=(3, 3)),
])
def test_lokr_energy_matches(tmp_path, kwargs):
    t, dw = lokr(SD, _g(4), 4, 2, 6, 5, **kwargs)
    assert close(block_energies(write(tmp_path, "k", t), "SD15")["input_4"], sq(dw))


def test_full_diff_and_bias(tmp_path):
    gen = _g(5)
    diff, bias = _r(gen, 12, 7), _r(gen, 12)
    t = {f"{SD}.diff": diff, f"{SD}.diff_b": bias}
    assert close(block_energies(write(tmp_path, "f", t), "SD15")["input_4"], sq(diff.double()) + sq(bias.double()))


def test_dora_is_measured_as_its_low_rank_part_and_flagged(tmp_path):
    t, dw = lora(SD, 16, 16, 2, _g(6), alpha=1.0)
    t[f"{SD}.dora_scale"] = torch.ones(16, 1)
    stats = compute_stats(write(tmp_path, "d", t), "SD15")
    assert stats["approximate"] is True
    assert close(stats["block_norms"]["input_4"] ** 2, sq(dw))


def test_stats_shares_ratios_and_clip(tmp_path):
    gen = _g(7)
    tensors, expected = {}, {}
    for name, block in [(SD, "input_4"), ("lora_unet_mid_block_attentions_0_proj_in", "middle_0"),
                        ("lora_unet_up_blocks_2_attentions_1_proj_out", "output_7"),
                        ("lora_te_text_model_encoder_layers_3_mlp_fc1", "te_layer_3")]:
        t, dw = lora(name, 32, 32, 4, gen, alpha=4.0)
        tensors.update(t)
        expected[block] = sq(dw)
    stats = compute_stats(write(tmp_path, "s", tensors), "SD15")
    total = sum(expected.values())
    assert set(stats["energy_distribution"]) == set(expected)
    for block, e in expected.items():
        assert close(stats["energy_distribution"][block], e / total)
    assert close(sum(stats["energy_distribution"].values()), 1.0)
    unet = total - expected["te_layer_3"]
    assert close(stats["input_ratio"], expected["input_4"] / unet)
    assert close(stats["mid_ratio"], expected["middle_0"] / unet)
    assert close(stats["output_ratio"], expected["output_7"] / unet)
    assert stats["clip_contribution"]["has_clip"] is True
    assert close(stats["clip_contribution"]["energy_share"], expected["te_layer_3"] / total)
    assert stats["block_metadata"]["output_7"] == {"label": "OUT07", "group": "STYLE", "tag": "STYLE",
                                                   "section": "output"}
    assert close(stats["total_norm"], math.sqrt(total))


def test_balance_and_sparsity_follow_where_the_energy_is(tmp_path):
    gen = _g(8)
    early = {}
    for i in (1, 2, 4):
        early.update(lora(f"lora_unet_input_blocks_{i}_1_proj_in", 16, 16, 2, gen, alpha=2.0)[0])
    late_big = lora("lora_unet_output_blocks_11_1_proj_out", 16, 16, 2, gen, alpha=200.0)[0]
    s_early = compute_stats(write(tmp_path, "e", early), "SD15")
    s_late = compute_stats(write(tmp_path, "l", {**early, **late_big}), "SD15")
    assert s_early["balance"] < -0.5 < 0.5 < s_late["balance"]
    assert s_late["sparsity"] > s_early["sparsity"]
    assert s_late["sparsity"] > 0.5


def test_zero_lora_gives_finite_zero_stats(tmp_path):
    t = {f"{SD}.lora_down.weight": torch.zeros(4, 8), f"{SD}.lora_up.weight": torch.zeros(8, 4),
         f"{SD}.alpha": torch.tensor(4.0)}
    stats = compute_stats(write(tmp_path, "z", t), "SD15")
    json.dumps(stats, allow_nan=False)
    assert stats["total_norm"] == 0 and stats["sparsity"] == 0 and stats["balance"] == 0
    assert stats["energy_distribution"] == {"input_4": 0.0}
    assert stats["clip_contribution"]["has_clip"] is False


def test_nan_module_is_reported_not_propagated(tmp_path):
    gen = _g(9)
    good, dw = lora(SD, 8, 8, 2, gen, alpha=2.0)
    bad = lora("lora_unet_up_blocks_1_attentions_0_proj_in", 8, 8, 2, gen, alpha=2.0)[0]
    bad["lora_unet_up_blocks_1_attentions_0_proj_in.lora_up.weight"][0, 0] = float("nan")
    stats = compute_stats(write(tmp_path, "n", {**good, **bad}), "SD15")
    json.dumps(stats, allow_nan=False)
    assert stats["unmeasured"]["count"] == 1
    assert "non-finite" in stats["unmeasured"]["examples"][0]
    assert close(stats["total_norm"] ** 2, sq(dw))


def test_gram_between_kohya_and_diffusers_sd15_loras(tmp_path):
    """Same layers, different trainer spellings: inner products pair them weight by weight."""
    gen = _g(10)
    a1, da1 = lora(SD, 32, 32, 4, gen, alpha=2.0)
    a2, da2 = lora("lora_unet_up_blocks_1_resnets_0_conv1", 16, 8, 2, gen, alpha=1.0, kernel=(3, 3))
    b1, db1 = lora("unet.down_blocks.1.attentions.0.transformer_blocks.0.attn1.processor.to_q", 32, 32, 3, gen,
                   peft=True)
    b2, db2 = lora("lora_unet_output_blocks_3_0_in_layers_2", 16, 8, 5, gen, alpha=3.0, kernel=(3, 3))
    pa = write(tmp_path, "a", {**a1, **a2})
    pb = write(tmp_path, "b", {**b1, **b2})
    gram = block_gram(pa, pb, "SD15")
    assert close(gram["input_4"], float((da1 * db1).sum()))
    assert close(gram["output_3"], float((da2 * db2).sum()))
    self_gram = block_gram(pa, pa, "SD15")
    energies = block_energies(pa, "SD15")
    assert all(close(self_gram[b], energies[b]) for b in energies)


def test_gram_flux_fused_qkv_against_diffusers_slices(tmp_path):
    """BFL `img_attn.qkv` (3H rows) against diffusers to_q/to_k/to_v (H rows each) of one block."""
    gen, h, width = _g(11), 8, 8
    fused, d_fused = lora("lora_unet_double_blocks_2_img_attn_qkv", 3 * h, width, 4, gen, alpha=4.0)
    sliced, parts = {}, []
    for q in ("to_q", "to_k", "to_v"):
        t, dw = lora(f"transformer.transformer_blocks.2.attn.{q}", h, width, 2, gen, peft=True)
        sliced.update(t)
        parts.append(dw)
    single_a, d_sa = lora("diffusion_model.single_blocks.0.linear2", 8, 40, 3, gen)
    single_b, d_sb = lora("transformer.single_transformer_blocks.0.proj_out", 8, 40, 3, gen, peft=True)
    pa = write(tmp_path, "fa", {**fused, **single_a})
    pb = write(tmp_path, "fb", {**sliced, **single_b})
    gram = block_gram(pa, pb, "FLUX.1")
    assert close(gram["double_2"], float((d_fused * torch.cat(parts)).sum()))
    assert close(gram["single_0"], float((d_sa * d_sb).sum()))


def test_gram_mixed_adapters_and_disjoint_weights(tmp_path):
    gen = _g(12)
    ta, da = loha(SD, 12, 10, 2, gen, alpha=2.0)
    tb, db = lokr(SD, gen, 3, 2, 4, 5, factored_w2=True, alpha=2.0)
    tc, _ = lora("lora_unet_down_blocks_1_attentions_0_proj_in", 12, 10, 2, gen)  # same block, other weight
    fa = load_factors(write(tmp_path, "ha", ta), "SD15")
    gram = block_gram(fa, write(tmp_path, "kb", {**tb, **tc}), "SD15")
    assert close(gram["input_4"], float((da * db).sum()))


def test_stats_are_json_safe_for_every_factory_adapter(tmp_path):
    factory = pytest.importorskip("lwb_testkit.lora_factory")
    for adapter in ("lora", "loha", "lokr", "lokr_full", "dora", "full"):
        path = tmp_path / f"sdxl_{adapter}.safetensors"
        factory.make_lora(path, arch="SDXL", naming="kohya", adapter=adapter, rank=2, alpha=1,
                          blocks=["input_blocks.4", "output_blocks.0"], text_encoder=["te2"])
        stats = compute_stats(path, "SDXL")
        json.dumps(stats, allow_nan=False)
        assert stats["unmeasured"]["count"] == 0, adapter
        assert stats["total_norm"] > 0, adapter
        present = set(stats["energy_distribution"])
        # Full-diff files keep only the smallest modules of the selection (factory rule).
        assert present - {"input_4", "output_0"} <= {f"te2_layer_{i}" for i in range(32)}, adapter
        if adapter != "full":
            assert {"input_4", "output_0"} <= present, adapter
            assert any(b.startswith("te2_layer_") for b in present), adapter
