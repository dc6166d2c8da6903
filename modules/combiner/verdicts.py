"""Compatibility verdicts of a LoRA set: who is combined, who is excluded and why.

Rules, applied in order (seed 000: same base model and layout, fallback layouts excluded, never guessed):

1. `unknown_layout`: the LoRA's architecture is UNKNOWN or has no block layout: excluded.
2. `base_model_mismatch`: the reference family is the base family (`architectures.base_family`) shared by
   the most remaining LoRAs (a tie goes to the family that appears first); LoRAs of other families are
   excluded.
3. `layout_mismatch`: a LoRA of the reference family whose layout differs, or that patches a weight an
   earlier kept LoRA also patches with a different shape (SD3 medium/large, Wan 1.3B/14B, FLUX.2
   variants): excluded, naming the weight and the other LoRA.
4. `lineage_mix` (kept, a warning): SDXL LoRAs trained on different lineages (Pony, Illustrious...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..arch import ids as A
from ..blocks.layouts import layout_for

UNKNOWN_LAYOUT, BASE_MODEL_MISMATCH, LAYOUT_MISMATCH, LINEAGE_MIX = (
    "unknown_layout", "base_model_mismatch", "layout_mismatch", "lineage_mix")


@dataclass(frozen=True)
class CompatEntry:
    name: str
    arch: str
    shapes: dict[str, tuple[int, int]] = field(default_factory=dict)  # canonical target -> (rows, cols)


@dataclass(frozen=True)
class Verdict:
    code: str
    loras: tuple[str, ...]
    detail: str
    excluded: bool = True

    def to_dict(self) -> dict:
        return {"code": self.code, "loras": list(self.loras), "detail": self.detail, "excluded": self.excluded}


@dataclass(frozen=True)
class Compatibility:
    included: tuple[int, ...]
    verdicts: tuple[Verdict, ...]
    family: str | None

    def excluded_reason(self, index_name: str) -> str | None:
        for v in self.verdicts:
            if v.excluded and index_name in v.loras:
                return f"{v.code}: {v.detail}"
        return None


def check_compatibility(entries: list[CompatEntry]) -> Compatibility:
    verdicts: list[Verdict] = []
    remaining = []
    for i, e in enumerate(entries):
        if e.arch == A.UNKNOWN or layout_for(e.arch) is None:
            verdicts.append(Verdict(UNKNOWN_LAYOUT, (e.name,), f"{e.name}: architecture {e.arch} has no known "
                                    "block layout; excluded rather than guessed"))
        else:
            remaining.append(i)
    if not remaining:
        return Compatibility((), tuple(verdicts), None)
    counts: dict[str, int] = {}
    for i in remaining:
        fam = A.base_family(entries[i].arch)
        counts[fam] = counts.get(fam, 0) + 1
    first_seen = {A.base_family(entries[i].arch): pos for pos, i in reversed(list(enumerate(remaining)))}
    family = min(counts, key=lambda f: (-counts[f], first_seen[f]))
    others = [i for i in remaining if A.base_family(entries[i].arch) != family]
    if others:
        names = tuple(entries[i].name for i in others)
        listed = ", ".join(f"{entries[i].name} ({entries[i].arch})" for i in others)
        verdicts.append(Verdict(BASE_MODEL_MISMATCH, names, f"the set is {family}; excluded: {listed}"))
    kept: list[int] = []
    for i in (i for i in remaining if A.base_family(entries[i].arch) == family):
        conflict = _layout_conflict(entries, kept, i)
        if conflict:
            verdicts.append(Verdict(LAYOUT_MISMATCH, (entries[i].name, conflict[0]), conflict[1]))
        else:
            kept.append(i)
    lineages = sorted({entries[i].arch for i in kept})
    if len(lineages) > 1:
        verdicts.append(Verdict(LINEAGE_MIX, tuple(entries[i].name for i in kept),
                                f"{family} LoRAs of different lineages ({', '.join(lineages)}); kept", excluded=False))
    return Compatibility(tuple(kept), tuple(verdicts), family)


def _layout_conflict(entries: list[CompatEntry], kept: list[int], i: int) -> tuple[str, str] | None:
    e = entries[i]
    for k in kept:
        other = entries[k]
        if layout_for(other.arch).name != layout_for(e.arch).name:
            return other.name, (f"{e.name}: layout {layout_for(e.arch).name} differs from {other.name}'s "
                                f"{layout_for(other.arch).name}")
        for target in sorted(set(e.shapes) & set(other.shapes)):
            if e.shapes[target] != other.shapes[target]:
                return other.name, (f"{e.name}: weight {target} is {e.shapes[target][0]}x{e.shapes[target][1]}, "
                                    f"{other.name} has {other.shapes[target][0]}x{other.shapes[target][1]} "
                                    "(a different model variant)")
    return None
