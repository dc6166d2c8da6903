"""Adapters for ComfyUI internals that move between versions: one module per seam, its path chosen once at
import by feature detection (never by catching import errors), with the ComfyUI versions it was tested on.

Seams the pack uses and how they stand on the tested hosts (ComfyUI 0.3.75 and 0.8.0):

- `hooks_seam`: private parts of `comfy.hooks` (a WeightHook's base strengths, a keyframe group's
  "first keyframe is current" step). Adapter with a public-API fallback.
- The rest is the same on both hosts and used directly: `ModelPatcher.add_wrapper_with_key` with
  `WrappersMP.OUTER_SAMPLE`, `register_all_hook_patches`, `add_hook_patches`,
  `comfy.samplers.filter_registered_hooks_on_conds`, `CFGGuider.inner_sample` (sampler_evaluations),
  `comfy.lora.load_lora` / `model_lora_keys_*`, `PromptServer.instance.routes` / `send_sync`.
  tests/integration/test_comfy_seams.py checks their parameters on each host, so a host that moves one
  fails there by name (and then gets an adapter here).
"""
