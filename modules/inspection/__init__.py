"""Reading one LoRA file without loading it: the safetensors header (`header`), sidecar metadata and
previews (`sidecars`), the facts the nodes and routes show (`lora_facts`), name resolution against
ComfyUI's listing (`lora_names`), the bounded per-file-version cache (`cache`) and the blocking
computations behind the inspect routes (`service`)."""
