"""Worker processes for the CPU-heavy work (block energy) that must not hold ComfyUI's GIL.

`pool.WorkerPool` runs named tasks (`tasks.TASKS`) in child processes started by `entry.py`; see there
for why a child never runs ComfyUI's main.py nor the pack's node modules.
"""
