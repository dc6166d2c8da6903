"""Combine a LoRA set: validate it, measure every block, apply a policy, and describe the result.

`combine(inputs, policy, headroom, analyzer)` is pure given the analyzer (files are only read through
it). Every output number is rounded once to 4 decimals (`format_number`), and the rounded values are
the ones every output uses (schedule string, Inspire vectors, MODEL/CLIP/HOOKS), so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..blocks.layouts import (
    TEXT_ENCODERS,
    block_label,
    block_metadata,
    layout_for,
    sort_blocks,
    split_block_id,
)
from ..blocks.weights import effective_vector
from ..schedule.model import LoraItem, format_number
from .analysis import LoraAnalyzer, LoraProfile, shared_analyzer
from .inspire_vector import InspireVector, inspire_vector
from .maths import BASE_UNIT, CLIP_UNIT, cosine, unit_cosines, unit_maths, unit_of_block, unit_sort_key
from .policies import DEFAULT_HEADROOM, INTERFERENCE, budget_of, check_policy, unit_factors
from .verdicts import CompatEntry, Verdict, check_compatibility

ZERO_STRENGTH = "zero_strength"
UNIT_GROUPS = {BASE_UNIT: "OTHER", CLIP_UNIT: "CLIP"}


def round4(value: float) -> float:
    return float(format_number(value)) + 0.0


@dataclass(frozen=True)
class CombineInput:
    """One LoRA to combine: its ComfyUI name, file, architecture, folder role and requested item (block values
    resolved), and the saved profile those values came from, if any."""

    name: str
    path: str
    arch: str
    role: str
    item: LoraItem
    profile: str | None = None


@dataclass(frozen=True)
class LoraResult:
    name: str
    role: str
    arch: str
    included: bool
    excluded_reason: str | None
    strength_model: float
    strength_clip: float
    requested: dict[str, float]  # block -> requested value w_i[b] (every block the LoRA has)
    values: dict[str, float]  # block -> output value (model blocks and base buckets; text encoders as requested)
    has_clip: bool
    inspire: InspireVector | None
    inspire_strength_clip: float
    notes: tuple[str, ...]
    item: LoraItem | None  # the output schedule item (None when excluded)


@dataclass(frozen=True)
class UnitRow:
    unit: str
    label: str
    group: str
    budget: float
    requested_norms: tuple[float, ...]  # per included LoRA, ‖k_i·ΔW_i,u‖
    combined_requested: float
    combined_result: float
    factors: tuple[float, ...]  # t_i(u) per included LoRA
    cosines: dict[tuple[int, int], float]  # pairs of included LoRAs with both changes non-zero
    achieved_norms: tuple[float, ...] = ()  # per included LoRA, its change in u after the factors
    gram_cosines: tuple[tuple[float, ...], ...] = ()  # M_ij/√(M_ii·M_jj): the cosines the policy sees


@dataclass(frozen=True)
class CombineResult:
    policy: str
    headroom: float
    family: str | None
    loras: tuple[LoraResult, ...]
    included: tuple[int, ...]  # indices into `loras` of the combined LoRAs, in input order
    units: tuple[UnitRow, ...]
    verdicts: tuple[Verdict, ...] = field(default_factory=tuple)

    def schedule_items(self) -> list[LoraItem]:
        return [self.loras[i].item for i in self.included if self.loras[i].item is not None]


def _label(unit: str) -> str:
    return unit if unit in (BASE_UNIT, CLIP_UNIT) else block_label(unit)


def _is_te(block: str) -> bool:
    return split_block_id(block)[0] in TEXT_ENCODERS


def _requested(inp: CombineInput, blocks: list[str]) -> dict[str, float]:
    try:
        vector = effective_vector(inp.arch, blocks, inp.item.preset, inp.item.vectors)
    except ValueError as err:
        raise ValueError(f"LoRA {inp.name!r}: {err}") from None
    return {b: float(vector.get(b, 1.0)) for b in sort_blocks(blocks)}


def combine(inputs: list[CombineInput], policy: str = INTERFERENCE, headroom: float = DEFAULT_HEADROOM,
            analyzer: LoraAnalyzer | None = None) -> CombineResult:
    """The combined configuration of `inputs` (see the module docstring and `policies.py`)."""
    analyzer = analyzer or shared_analyzer()
    check_policy(policy, headroom)
    zero = [abs(i.item.strength_model) < 1e-6 and abs(i.item.strength_clip) < 1e-6 for i in inputs]
    measurable = [k for k, inp in enumerate(inputs) if not zero[k] and _has_layout(inp.arch)]
    loaded: dict = {}
    profiles: dict[int, LoraProfile] = dict(zip(measurable, analyzer.profiles(
        [inputs[k].path for k in measurable], [inputs[k].arch for k in measurable], loaded), strict=True))
    candidates = [k for k in range(len(inputs)) if not zero[k]]
    compat = check_compatibility([CompatEntry(inputs[k].name, inputs[k].arch,
                                              profiles[k].shapes if k in profiles else {}) for k in candidates])
    verdicts = list(compat.verdicts)
    if any(zero):
        names = tuple(inputs[k].name for k in range(len(inputs)) if zero[k])
        verdicts.append(Verdict(ZERO_STRENGTH, names, "both strengths are 0; nothing to combine"))
    included = [candidates[c] for c in compat.included]
    gram_local = analyzer.grams([inputs[k].path for k in included], [inputs[k].arch for k in included], loaded)
    loaded.clear()
    ps = [profiles[k] for k in included]
    blocks_of = [list(p.block_ids) for p in ps]
    requested = [_requested(inputs[k], blocks_of[n]) for n, k in enumerate(included)]
    coeffs = [{b: (inputs[k].item.strength_clip if _is_te(b) else inputs[k].item.strength_model) * w
               for b, w in requested[n].items()} for n, k in enumerate(included)]
    block_sq = [p.block_sq for p in ps]
    roles = [inputs[k].role for k in included]
    ref_arch = inputs[included[0]].arch if included else None
    units: dict[str, list[str]] = {}
    for blocks in blocks_of:
        for b in blocks:
            units.setdefault(unit_of_block(b), [])
            if b not in units[unit_of_block(b)]:
                units[unit_of_block(b)].append(b)
    rows, factors_of = [], {}
    for unit in sorted(units, key=unit_sort_key):
        um = unit_maths(unit, units[unit], coeffs, gram_local, block_sq)
        group = UNIT_GROUPS.get(unit) or block_metadata(ref_arch, unit)["group"]
        t = unit_factors(policy, um, headroom, group, roles)
        factors_of[unit] = t
        rows.append((unit, um, group, t))
    results: dict[int, LoraResult] = {}
    out_coeffs = []
    for n, k in enumerate(included):
        res = _lora_result(inputs[k], ps[n], requested[n], {u: f[n] for u, f in factors_of.items()})
        results[k] = res
        out_coeffs.append({b: (res.strength_clip * requested[n][b] if _is_te(b)
                               else res.strength_model * res.values[b]) for b in requested[n]})
    unit_rows = []
    for unit, um, group, t in rows:
        achieved_maths = unit_maths(unit, list(um.blocks), out_coeffs, gram_local, block_sq)
        achieved = achieved_maths.combined_norm()
        cos = {}
        if unit not in (BASE_UNIT, CLIP_UNIT):
            n = len(included)
            cos = {(i, j): cosine(gram_local, block_sq, i, j, unit) for i in range(n) for j in range(i + 1, n)
                   if block_sq[i].get(unit, 0.0) > 0 and block_sq[j].get(unit, 0.0) > 0}
        unit_rows.append(UnitRow(unit, _label(unit), group, budget_of(um, headroom),
                                 tuple(um.requested_norm(i) for i in range(len(included))), um.combined_norm(),
                                 achieved, tuple(t), cos,
                                 tuple(achieved_maths.requested_norm(i) for i in range(len(included))),
                                 unit_cosines(um)))
    for k, inp in enumerate(inputs):
        if k not in results:
            reason = (f"{ZERO_STRENGTH}: both strengths are 0" if zero[k] else
                      compat.excluded_reason(inp.name) or "excluded")
            results[k] = LoraResult(inp.name, inp.role, inp.arch, False, reason, inp.item.strength_model,
                                    inp.item.strength_clip, {}, {}, False, None, inp.item.strength_clip, (), None)
    ordered = tuple(results[k] for k in range(len(inputs)))
    return CombineResult(policy, headroom, compat.family, ordered, tuple(included), tuple(unit_rows), tuple(verdicts))


def _has_layout(arch: str) -> bool:
    return layout_for(arch) is not None


def _lora_result(inp: CombineInput, profile: LoraProfile, requested: dict[str, float],
                 factors: dict[str, float]) -> LoraResult:
    has_clip = any(_is_te(b) for b in requested)
    values = {b: (w if _is_te(b) else round4(w * factors[unit_of_block(b)])) for b, w in requested.items()}
    strength_model = round4(inp.item.strength_model)
    strength_clip = round4(inp.item.strength_clip * factors[CLIP_UNIT]) if has_clip else 0.0
    notes = []
    if not has_clip and inp.item.strength_clip != 0:
        notes.append("UNet-only LoRA (no text-encoder weights): strength_clip set to 0")
    if profile.unmeasured:
        notes.append(f"{profile.unmeasured} module(s) could not be measured (their blocks keep the factor of "
                     "the measured ones)")
    if profile.approximate:
        notes.append("DoRA/GLoRA modules: only their low-rank part is measured")
    base_blocks = [b for b in requested if unit_of_block(b) == BASE_UNIT]
    base_value = values[base_blocks[0]] if base_blocks else 1.0
    if len({values[b] for b in base_blocks}) > 1:
        notes.append(f"Inspire has one BASE value; it carries {base_blocks[0]}'s {format_number(base_value)}")
    slots = list(profile.inspire_slots)
    vector = inspire_vector(slots, base_value, values)
    notes += vector.notes
    slotted = {b for s in slots for b in s.blocks}
    unslotted = [b for b in requested if not _is_te(b) and unit_of_block(b) != BASE_UNIT and b not in slotted]
    if unslotted and any(values[b] != 1.0 for b in unslotted):
        notes.append("Inspire puts every block of this architecture in BASE; the per-block values are only in "
                     "the schedule string, MODEL and HOOKS")
    if has_clip and any(requested[b] != 1.0 for b in requested if _is_te(b)):
        notes.append("text-encoder layer values cannot be written in an Inspire vector (they are in BASE)")
    inspire_clip = strength_clip
    if has_clip and base_value not in (0.0, 1.0):
        inspire_clip = round4(strength_clip / base_value)  # Inspire scales text-encoder keys by BASE too
    elif has_clip and base_value == 0.0 and strength_clip != 0.0:
        notes.append("BASE is 0, which in Inspire also mutes the text encoder")
    vectors = {b: v for b, v in values.items() if v != 1.0}
    item = LoraItem(lora_name=inp.name, strength_model=strength_model, strength_clip=strength_clip,
                    points=list(inp.item.points), arch=inp.arch, preset=None, vectors=vectors)
    return LoraResult(inp.name, inp.role, inp.arch, True, None, strength_model, strength_clip, dict(requested),
                      values, has_clip, vector, inspire_clip, tuple(notes), item)
