"""Blocks of a model and what a LoRA changes in each: layouts (which block every key belongs to, Inspire
slots), exact per-block energy from the factors (`energy`), presets, per-module block multipliers
(`weights`) and the grouping of ComfyUI's patches by multiplier (`patch_groups`)."""
