"""LoRA Info node: what a LoRA file is, from its header and sidecars, without loading its weights."""

import json

import folder_paths

from ..modules.inspection.lora_facts import describe_lora


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
        facts = describe_lora(path)
        details = {"lora_name": lora_name, **facts.to_dict()}
        return (facts.arch.arch, ", ".join(facts.trigger_words), json.dumps(details, indent=1))


NODES = (LoraWeightsBuilderInfo,)
