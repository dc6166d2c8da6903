"""What the pack knows about one LoRA file from its header and sidecars, without reading weights.

Shared by the nodes (architecture when an item says UNKNOWN, trigger words) and the routes; cached
per (path, size, mtime) and the sidecars' size and mtime in the shared inspect cache, so a file is
parsed once until it or a sidecar changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..arch.detect import ArchitectureVerdict, detect_architecture
from .cache import shared_cache
from .header import read_header
from .sidecars import load_metadata_sidecar, metadata_candidates, trigger_words


@dataclass(frozen=True)
class LoraFacts:
    arch: ArchitectureVerdict
    trigger_words: tuple[str, ...]
    tensor_count: int
    metadata_keys: tuple[str, ...]
    sidecar_name: str | None
    sidecar_error: str | None

    def to_dict(self) -> dict:
        return {
            "arch": self.arch.arch,
            "arch_source": self.arch.source,
            "arch_evidence": list(self.arch.evidence),
            "arch_conflicts": list(self.arch.conflicts),
            "trigger_words": list(self.trigger_words),
            "tensor_count": self.tensor_count,
            "metadata_keys": list(self.metadata_keys),
            "sidecar": self.sidecar_name,
            "sidecar_error": self.sidecar_error,
        }


def _read_facts(path: str | os.PathLike) -> LoraFacts:
    header = read_header(path)
    sidecar = load_metadata_sidecar(path)
    data = sidecar.data if sidecar else None
    return LoraFacts(
        arch=detect_architecture(header, sidecar=data),
        trigger_words=tuple(trigger_words(data)),
        tensor_count=len(header.tensors),
        metadata_keys=tuple(sorted(header.metadata)),
        sidecar_name=sidecar.path.name if sidecar else None,
        sidecar_error=sidecar.error if sidecar else None,
    )


def _sidecars_fingerprint(path: str | os.PathLike) -> str:
    """Size and mtime of every sidecar candidate, so that editing a sidecar refreshes the facts."""
    parts = []
    for candidate in metadata_candidates(path):
        try:
            st = candidate.stat()
            parts.append(f"{candidate.suffix}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append("-")
    return ",".join(parts)


def describe_lora(path: str | os.PathLike, refresh: bool = False) -> LoraFacts:
    """The facts of the LoRA at `path` (SafetensorsHeaderError / OSError when it cannot be read)."""
    kind = "facts|" + _sidecars_fingerprint(path)
    return shared_cache().get_or_compute(path, kind, lambda: _read_facts(path), refresh=refresh)
