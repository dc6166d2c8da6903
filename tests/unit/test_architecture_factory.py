"""Detection on every (arch, naming, adapter) file the shared LoRA factory writes, and its checkpoint stubs."""

import pytest
from lora_weights_builder.modules.arch import ids as A
from lora_weights_builder.modules.arch.detect import (
    SOURCE_HEADER,
    detect_architecture,
    detect_checkpoint_architecture,
)
from lora_weights_builder.modules.inspection.header import read_header
from lwb_testkit.lora_factory import ARCH_KEYS, kohya_metadata, make_checkpoint_stub, make_lora, supported_combinations

# Chroma LoRAs use FLUX.1's key layout minus the modulation layers: without metadata the keys cannot
# tell them from a FLUX.1 LoRA that skipped modulation, so they read as FLUX.1 (with Chroma allowed).
KEYS_ONLY = {A.CHROMA: A.FLUX1}


@pytest.mark.parametrize("arch, naming, adapter", supported_combinations())
def test_factory_files_by_keys(tmp_path, arch, naming, adapter):
    spec = make_lora(tmp_path / "x.safetensors", arch, naming, adapter, rank=2)
    verdict = detect_architecture(read_header(spec.path))
    assert verdict.conflicts == ()
    if all(m.is_text_encoder for m in spec.modules):
        # e.g. a full-diff file holding two CLIP-L weights: CLIP-L alone does not identify the model
        assert verdict.keys_arch in (None, A.SD15), verdict.evidence
    else:
        assert verdict.arch == KEYS_ONLY.get(arch, arch), verdict.evidence


@pytest.mark.parametrize("arch, naming, adapter", supported_combinations())
def test_factory_files_with_kohya_metadata(tmp_path, arch, naming, adapter):
    spec = make_lora(tmp_path / "x.safetensors", arch, naming, adapter, rank=2,
                     metadata=kohya_metadata(arch, adapter=adapter))
    verdict = detect_architecture(read_header(spec.path))
    assert (verdict.arch, verdict.source, verdict.conflicts) == (arch, SOURCE_HEADER, ()), verdict.evidence


@pytest.mark.parametrize("arch", sorted(ARCH_KEYS))
def test_factory_files_without_text_encoder_or_alpha(tmp_path, arch):
    spec = make_lora(tmp_path / "x.safetensors", arch, text_encoder=False, alpha=None, rank=1)
    assert detect_architecture(read_header(spec.path)).arch == KEYS_ONLY.get(arch, arch)


@pytest.mark.parametrize("arch", sorted(ARCH_KEYS))
def test_factory_checkpoint_stubs(tmp_path, arch):
    path = tmp_path / "ckpt.safetensors"
    make_checkpoint_stub(path, arch)
    verdict = detect_checkpoint_architecture(read_header(path))
    assert verdict.arch == arch, verdict.evidence
