"""Block energy of a file that changes while it is read: an error for that version, never a crash or a
result from mixed bytes; the next computation measures the new version. A 20 GB sparse file is measured
with a bounded working set."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from lora_weights_builder.modules.blocks.energy import FileChangedError, compute_stats
from lora_weights_builder.modules.blocks.energy.reader import TensorReader
from safetensors.torch import save_file

SD_Q = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q"  # input_4
SD_OUT = "lora_unet_up_blocks_3_attentions_2_proj_out"  # output_11
OLD_MTIME_NS = 1_600_000_000 * 10**9


def write_lora(path: Path, seed: int) -> float:
    """A LoRA with two modules; returns its total ‖ΔW‖² by float64 brute force."""
    gen = torch.Generator().manual_seed(seed)
    tensors, total = {}, 0.0
    for name in (SD_Q, SD_OUT):
        down, up = torch.randn(4, 64, generator=gen), torch.randn(64, 4, generator=gen)
        tensors |= {f"{name}.lora_down.weight": down, f"{name}.lora_up.weight": up}
        total += float((up.double() @ down.double()).square().sum())
    save_file(tensors, str(path))
    os.utime(path, ns=(OLD_MTIME_NS, OLD_MTIME_NS))  # as a file written long ago
    return total


LOHA_MODULES = [f"lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_{p}" for p in "qkv"] + [SD_OUT]


def write_loha(path: Path, seed: int) -> float:
    """A LoHa with four modules (measured by several threads at once); returns its total ‖ΔW‖² by float64
    brute force."""
    gen = torch.Generator().manual_seed(seed)
    tensors, total = {}, 0.0
    for name in LOHA_MODULES:
        t = {"hada_w1_a": torch.randn(96, 8, generator=gen), "hada_w1_b": torch.randn(8, 80, generator=gen),
             "hada_w2_a": torch.randn(96, 8, generator=gen), "hada_w2_b": torch.randn(8, 80, generator=gen)}
        d = {k: v.double() for k, v in t.items()}
        total += float(((d["hada_w1_a"] @ d["hada_w1_b"]) * (d["hada_w2_a"] @ d["hada_w2_b"])).square().sum())
        tensors |= {f"{name}.{k}": v for k, v in t.items()}
    save_file(tensors, str(path))
    os.utime(path, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
    return total


WRITERS = {"lora": write_lora, "loha": write_loha}  # batched in one thread / measured by several threads


def energy_total(stats: dict) -> float:
    return stats["total_norm"] ** 2


@pytest.fixture
def after_reads(monkeypatch):
    """`after_reads(n, action)`: run `action()` after the n-th tensor read of the computation (the file
    changes while it is being read, at a deterministic point)."""
    def install(n: int, action):
        original = TensorReader._read
        calls = {"n": 0}

        def read(self, offset, nbytes):
            data = original(self, offset, nbytes)
            calls["n"] += 1
            if calls["n"] == n:
                action()
            return data
        monkeypatch.setattr(TensorReader, "_read", read)
        return calls
    return install


def test_listed_version_no_longer_there_is_an_error(tmp_path):
    path = tmp_path / "a.safetensors"
    write_lora(path, 1)
    st = path.stat()
    with pytest.raises(FileChangedError, match="a.safetensors"):
        compute_stats(path, "SD15", version=(st.st_size, st.st_mtime_ns - 1))
    assert compute_stats(path, "SD15", version=(st.st_size, st.st_mtime_ns))["block_norms"]


@pytest.mark.parametrize("kind", WRITERS)
def test_shrinking_mid_read_is_an_error_not_a_crash(tmp_path, after_reads, kind):
    path = tmp_path / "s.safetensors"
    WRITERS[kind](path, 2)
    size = path.stat().st_size
    after_reads(1, lambda: os.truncate(path, size - 600))
    with pytest.raises(FileChangedError, match="s.safetensors"):
        compute_stats(path, "SD15", threads=2)


@pytest.mark.parametrize("kind", WRITERS)
@pytest.mark.parametrize("how", ["in_place", "replaced", "removed"])
def test_changed_mid_read_is_an_error_then_the_new_version_is_measured(tmp_path, after_reads, how, kind):
    path, other = tmp_path / "c.safetensors", tmp_path / "other.safetensors"
    WRITERS[kind](path, 3)
    new_total = WRITERS[kind](other, 4)  # same size, other values

    def change():
        if how == "in_place":
            with open(path, "r+b") as f:
                f.write(other.read_bytes())
        elif how == "replaced":
            os.replace(other, path)
        else:
            os.remove(path)

    calls = after_reads(1, change)
    with pytest.raises(FileChangedError, match="c.safetensors"):
        compute_stats(path, "SD15", threads=2)
    assert calls["n"] >= 2  # the change happened while tensors were still being read
    if how != "removed":
        assert math.isclose(energy_total(compute_stats(path, "SD15", threads=2)), new_total, rel_tol=1e-5)


CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
import lwb_testkit.pack
from lora_weights_builder.modules.blocks.energy import compute_stats
def status(field):
    return int(next(l for l in open('/proc/self/status') if l.startswith(field + ':')).split()[1]) // 1024
compute_stats(sys.argv[2], 'SD15')  # imports and allocator warm-up
open('/proc/self/clear_refs', 'w').write('5')
before = status('VmRSS')
stats = compute_stats(sys.argv[2], 'SD15')
print(json.dumps({'before': before, 'peak': status('VmHWM'), 'norms': stats['block_norms']}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sparse files and /proc are Linux facts here")
def test_20_gb_sparse_full_diff_file_is_measured_with_bounded_memory(tmp_path):
    """20 tensors of 1 GiB that are holes (zeros) after two small ones with data."""
    gen = torch.Generator().manual_seed(5)
    small = {f"{SD_Q}.diff": torch.randn(64, 80, generator=gen), f"{SD_OUT}.diff": torch.randn(32, 40, generator=gen)}
    header, offset, blobs = {}, 0, []
    for key, t in small.items():
        data = t.numpy().tobytes()
        header[key] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    hole_names = [f"lora_unet_down_blocks_2_attentions_{i % 2}_transformer_blocks_{i}_ff_net_2" for i in range(20)]
    for name in hole_names:
        n = 1 << 30
        header[f"{name}.diff"] = {"dtype": "F16", "shape": [n // 2 // 8192, 8192], "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path = tmp_path / "big.safetensors"
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little") + raw + b"".join(blobs))
        f.truncate(8 + len(raw) + offset)
    assert path.stat().st_size >= 20 << 30 and path.stat().st_blocks * 512 < 1 << 20
    tests_dir = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", CHILD, tests_dir, str(path)], capture_output=True, text=True,
                         check=True, timeout=600)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["peak"] - result["before"] < 256, result  # MB above the RSS before the call
    norms = result["norms"]
    assert math.isclose(norms["input_4"], float(small[f"{SD_Q}.diff"].double().norm()), rel_tol=1e-6)
    assert math.isclose(norms["output_11"], float(small[f"{SD_OUT}.diff"].double().norm()), rel_tol=1e-6)
    assert norms["input_7"] == 0.0 and norms["input_8"] == 0.0
