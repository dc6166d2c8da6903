"""The pack's version, read from pyproject.toml's [project] table: the one place it is written (the Comfy
Registry reads it there). A unit test checks this reader against tomllib and the web entry's copy."""

import re
from pathlib import Path

PACK_NAME = "LoRA Weights Builder"
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def project_version(pyproject_text: str) -> str:
    """`version` of the [project] table (tomllib is Python 3.11+; the pack supports 3.10)."""
    table = None
    for line in pyproject_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            table = stripped
            continue
        match = re.fullmatch(r'version\s*=\s*"([^"]+)"\s*(#.*)?', stripped)
        if table == "[project]" and match:
            return match.group(1)
    raise ValueError("pyproject.toml: no version in the [project] table")


PACK_VERSION = project_version(PYPROJECT.read_text(encoding="utf-8"))
