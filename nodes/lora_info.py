"""LoRA Info node: what a LoRA file is, from its header and sidecars, without loading its weights."""

import json
from pathlib import Path

import folder_paths

from ..modules.architecture import detect_architecture
from ..modules.safetensors_header import read_header
from ..modules.sidecars import find_metadata_sidecar, read_sidecar, trigger_words


class LoraWeightsBuilderInfo:
    NODE_ID = "LoraWeightsBuilderInfo"
    DISPLAY_NAME = "LoRA Info (Weights Builder)"
    CATEGORY = "loaders/lora weights builder"
    DESCRIPTION = "Architecture, trigger words and header facts of a LoRA, read from its header and sidecar files."
    RETURN_TYPES = ("STRING", "STRING", "STRING")
    RETURN_NAMES = ("arch", "trigger_words", "details_json")
    FUNCTION = "describe"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"lora_name": (folder_paths.get_filename_list("loras"),)}}

    def describe(self, lora_name: str):
        path = folder_paths.get_full_path("loras", lora_name)
        if path is None:
            raise ValueError(f"LoRA not found in ComfyUI's loras folders: {lora_name!r}")
        header = read_header(Path(path))
        sidecar_path = find_metadata_sidecar(Path(path))
        sidecar = read_sidecar(sidecar_path) if sidecar_path else None
        verdict = detect_architecture(header, sidecar)
        triggers = trigger_words(sidecar) if sidecar else []
        details = {
            "lora_name": lora_name,
            "arch": verdict.arch,
            "arch_source": verdict.source,
            "arch_conflicts": list(verdict.conflicts),
            "tensor_count": len(header.tensors),
            "metadata_keys": sorted(header.metadata),
            "sidecar": sidecar_path.name if sidecar_path else None,
            "trigger_words": triggers,
        }
        return (verdict.arch, ", ".join(triggers), json.dumps(details, indent=1))


NODES = (LoraWeightsBuilderInfo,)
