"""Split the weight patches ComfyUI's `load_lora` made for one LoRA into groups of equal block multiplier.

A hook registers each group with `strength × multiplier`, which is how a block value scales that block's
weight change linearly. Pure: patches, key map and the LoRA's state dict are plain mappings.
"""

from collections import defaultdict


def group_by_multiplier(patches, key_map, lora_sd, module_multipliers):
    """Split load_lora's patches into groups of equal multiplier; multiplier-0 patches are dropped."""
    if not module_multipliers:
        yield 1.0, patches
        return
    prefixes = set()
    for key in lora_sd:
        for i, ch in enumerate(key):
            if ch == ".":
                prefixes.add(key[:i])
    module_of_patch = {}
    for lora_module, target in key_map.items():
        if lora_module in prefixes:
            module_of_patch.setdefault(target, lora_module)
    groups: dict[float, dict] = defaultdict(dict)
    for patch_key, patch in patches.items():
        multiplier = module_multipliers.get(module_of_patch.get(patch_key), 1.0)
        if multiplier != 0.0:
            groups[multiplier][patch_key] = patch
    yield from groups.items()
