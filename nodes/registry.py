"""The pack's nodes. Each node module lists its classes in `NODES`; each class carries its
`NODE_ID` (the id saved in workflows) and `DISPLAY_NAME`."""

from . import block_weight_combiner, hooks_report, lora_info, multi_scheduled_lora_loader, show_text

_NODE_MODULES = (multi_scheduled_lora_loader, lora_info, hooks_report, block_weight_combiner, show_text)

NODE_CLASS_MAPPINGS = {cls.NODE_ID: cls for module in _NODE_MODULES for cls in module.NODES}
NODE_DISPLAY_NAME_MAPPINGS = {cls.NODE_ID: cls.DISPLAY_NAME for module in _NODE_MODULES for cls in module.NODES}
