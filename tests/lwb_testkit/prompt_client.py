"""Run an API-format prompt through a real ComfyUI's /prompt and collect its /history entry."""

import json
import time
import uuid
from dataclasses import dataclass

from .comfy_server import ComfyServer


class PromptRejected(AssertionError):
    """ComfyUI refused the prompt at validation (HTTP 400); the message carries ComfyUI's reasons."""


@dataclass
class PromptResult:
    prompt_id: str
    status: str
    outputs: dict
    messages: list
    seconds: float

    def text(self, node_id: str) -> str:
        """The string a PreviewAny node showed."""
        return self.outputs[node_id]["text"][0]

    def error_message(self) -> str:
        """The exception message of a failed run, as ComfyUI reports it."""
        for kind, body in self.messages:
            if kind == "execution_error":
                return body.get("exception_message", "")
        return ""


def run_prompt(server: ComfyServer, prompt: dict, timeout: float = 300) -> PromptResult:
    body = json.dumps({"prompt": prompt, "client_id": str(uuid.uuid4())}).encode()
    status, _, raw = server.request("/prompt", data=body, headers={"Content-Type": "application/json"})
    if status != 200:
        raise PromptRejected(f"/prompt answered {status}: {raw.decode(errors='replace')}")
    prompt_id = json.loads(raw)["prompt_id"]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        history = server.get_json(f"/history/{prompt_id}")
        entry = history.get(prompt_id)
        if entry and entry.get("status", {}).get("completed") is not None:
            st = entry["status"]
            return PromptResult(prompt_id, st["status_str"], entry.get("outputs", {}), st.get("messages", []),
                                time.monotonic() - start)
        time.sleep(0.1)
    raise TimeoutError(f"prompt {prompt_id} did not finish in {timeout}s")


def preview(source_node: str, output_index: int = 0) -> dict:
    """A PreviewAny node that shows output `output_index` of `source_node` as text."""
    return {"class_type": "PreviewAny", "inputs": {"source": [source_node, output_index]}}
