"""ComfyUI glue: one module per node, plus the hook machinery they share. See registry.py."""
