"""A test-only ComfyUI node pack: a tiny model that records what the real KSampler applied.

Linked into a test server's custom_nodes (`ComfyServer(extra_node_packs=...)`), never shipped. With it,
a graph in the real frontend runs ComfyUI's KSampler node on the Multi Scheduled LoRA Loader's MODEL
and /history shows, for every model evaluation, its sigma and the strength the LoRA module `a` really
had. No weights are involved: the model is `lwb_testkit.tiny_model` (two 4x4 layers).
"""

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import comfy.model_base
import comfy.model_patcher
import comfy.supported_models
import folder_paths
import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for lwb_testkit
from lwb_testkit.tiny_model import FAMILIES, tiny_model  # noqa: E402

_COMFY = SimpleNamespace(supported_models=comfy.supported_models, model_base=comfy.model_base,
                         model_patcher=comfy.model_patcher)


class TinyRecordingModel:
    CATEGORY = "testing/lwb"
    RETURN_TYPES = ("MODEL",)
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"family": (list(FAMILIES),)}}

    def load(self, family):
        base, patcher = tiny_model(_COMFY, seed=7, family=family)
        base.diffusion_model.w0 = base.diffusion_model.a.weight.detach().clone()
        return (patcher,)


class EmptyTestConditioning:
    CATEGORY = "testing/lwb"
    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "make"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {}}

    def make(self):
        return ([[torch.zeros(1, 1, 8), {}]],)


class AppliedStrengths:
    """For each model evaluation of the last sampling of `model`: [sigma, strength of the LoRA on layer a]."""

    CATEGORY = "testing/lwb"
    RETURN_TYPES = ("STRING",)
    FUNCTION = "report"
    OUTPUT_NODE = True

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("MODEL",), "samples": ("LATENT",), "lora_name": ("STRING", {"default": ""})}}

    def report(self, model, samples, lora_name):
        net = model.model.diffusion_model
        sd = load_file(folder_paths.get_full_path("loras", lora_name))
        delta = sd["lora_unet_a.lora_up.weight"] @ sd["lora_unet_a.lora_down.weight"]
        applied = [float(((wa - net.w0) * delta).sum() / (delta * delta).sum()) for wa, _ in net.seen]
        text = json.dumps([[s, a] for s, a in zip(net.sigmas, applied, strict=True)])
        return {"ui": {"text": (text,)}, "result": (text,)}


NODE_CLASS_MAPPINGS = {
    "LWBTestTinyRecordingModel": TinyRecordingModel,
    "LWBTestEmptyConditioning": EmptyTestConditioning,
    "LWBTestAppliedStrengths": AppliedStrengths,
}
