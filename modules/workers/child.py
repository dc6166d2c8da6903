"""The loop of a worker process: read a job, run its task, write the result or a described error.

The protocol stream is a private copy of the original stdout; file descriptor 1 is pointed at stderr
so that anything a library prints cannot corrupt it. Logging goes to stderr (ComfyUI's console). The
child exits when its stdin closes: when the pool closes it, and when ComfyUI exits or is killed.
"""

from __future__ import annotations

import logging
import os
import sys

from .protocol import read_message, write_message
from .tasks import TASKS

log = logging.getLogger("lora_weights_builder.worker")


def describe_error(err: BaseException) -> dict:
    """What the parent needs to rebuild an error (exception classes do not cross the pipe)."""
    return {"type": type(err).__name__, "message": str(err), "errno": getattr(err, "errno", None),
            "strerror": getattr(err, "strerror", None), "problem": getattr(err, "problem", None)}


def serve() -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format=f"[LoRA Weights Builder worker {os.getpid()}] %(levelname)s %(message)s")
    inp = sys.stdin.buffer
    try:
        settings = read_message(inp)
        if settings.get("niceness") and hasattr(os, "nice"):
            os.nice(settings["niceness"])
        while True:
            job_id, task, args = read_message(inp)
            try:
                reply = (job_id, True, TASKS[task](*args))
            except Exception as err:  # noqa: BLE001 - every failure goes back to the requester
                reply = (job_id, False, describe_error(err))
            write_message(out, reply)
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return
