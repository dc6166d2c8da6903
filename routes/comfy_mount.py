"""Mount the pack's routes on ComfyUI's PromptServer, with `folder_paths` as the model folders."""

import folder_paths
from server import PromptServer

from .model_folders import ModelFolders
from .registry import add_routes


def comfy_model_folders() -> ModelFolders:
    return ModelFolders(
        list_names=folder_paths.get_filename_list,
        full_path=folder_paths.get_full_path,
        folder_roots=folder_paths.get_folder_paths,
        user_dir=folder_paths.get_user_directory,
        notify=_send_sync,
    )


def _send_sync(event: str, data: dict) -> None:
    """Send `event` to every browser; `send_sync` hands the message to the server loop thread-safely."""
    PromptServer.instance.send_sync(event, data)


def mount_routes(staircase=None) -> None:
    """`staircase`: the staircase engine (`nodes.sampler_evaluations`), injected by the pack's entry."""
    add_routes(PromptServer.instance.routes, comfy_model_folders(), staircase=staircase)
