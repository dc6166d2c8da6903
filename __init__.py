"""LoRA Weights Builder: ComfyUI entry point.

ComfyUI imports this file with the pack's folder name as the module name, so every import here and
below is relative. This is the only module that touches `PromptServer.instance`.
"""

from .nodes import sampler_evaluations
from .nodes.registry import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS
from .routes.comfy_mount import mount_routes

WEB_DIRECTORY = "./web"

mount_routes(staircase=sampler_evaluations)

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
