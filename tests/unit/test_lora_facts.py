import json
import os

from lora_weights_builder.modules.inspection.lora_facts import describe_lora
from lwb_testkit.lora_factory import make_lora


def test_facts_from_header_and_sidecar(tmp_path):
    path = make_lora(tmp_path / "ink.safetensors", arch="SDXL", seed=1).path
    (tmp_path / "ink.metadata.json").write_text(json.dumps({"civitai": {"trainedWords": ["ink wash", " sumi-e "]}}))
    facts = describe_lora(path)
    assert facts.arch.arch == "SDXL"
    assert facts.trigger_words == ("ink wash", "sumi-e")
    assert facts.sidecar_name == "ink.metadata.json"
    assert facts.tensor_count > 0


def test_editing_the_sidecar_refreshes_trigger_words(tmp_path):
    path = make_lora(tmp_path / "ink.safetensors", arch="SDXL", seed=1).path
    sidecar = tmp_path / "ink.metadata.json"
    sidecar.write_text(json.dumps({"trainedWords": ["old"]}))
    assert describe_lora(path).trigger_words == ("old",)
    sidecar.write_text(json.dumps({"trainedWords": ["brand new"]}))
    st = sidecar.stat()
    os.utime(sidecar, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert describe_lora(path).trigger_words == ("brand new",)


def test_broken_sidecar_is_reported_not_fatal(tmp_path):
    path = make_lora(tmp_path / "ink.safetensors", arch="SD15", seed=2).path
    (tmp_path / "ink.metadata.json").write_text("{not json")
    facts = describe_lora(path)
    assert facts.arch.arch == "SD15"
    assert facts.trigger_words == ()
    assert "not valid JSON" in facts.sidecar_error
