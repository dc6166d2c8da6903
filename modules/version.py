"""The pack's version, kept equal to pyproject.toml's (a unit test checks)."""

PACK_NAME = "LoRA Weights Builder"
PACK_VERSION = "0.1.0"
