"""Which base model a LoRA or checkpoint is for: ids (`ids`), name rules (`names`), detection from
sidecars, header metadata, keys and dims (`detect`), the SDXL lineage heuristic (`lineage`) and
checkpoint-vs-LoRA compatibility (`compatibility`). `ids.base_family` is the one family-folding rule."""
