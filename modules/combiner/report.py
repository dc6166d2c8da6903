"""Text outputs of a combination: the per-LoRA configuration (for Inspire loaders) and the report.

Both are plain text with fixed number formats (factors and cosines 4 decimals, norms 4 significant
digits) and a fixed order (LoRAs in input order, blocks in model order), so equal inputs give equal bytes.
"""

from __future__ import annotations

from ..schedule.model import format_number
from .engine import CombineResult


def _norm(v: float) -> str:
    return f"{v:.4g}"


def _fixed(v: float) -> str:
    return f"{v:.4f}"


def lora_config_text(result: CombineResult) -> str:
    """For each combined LoRA: the strengths and the block vector for one Inspire "LoRA Loader (Block Weight)"."""
    parts = []
    for n, lora in enumerate(result.loras, start=1):
        head = f"[{n}] {lora.name}"
        if not lora.included:
            parts.append(f"{head}\nexcluded: {lora.excluded_reason}")
            continue
        vec = lora.inspire
        lines = [head, f"strength_model: {format_number(lora.strength_model)}",
                 f"strength_clip: {format_number(lora.inspire_strength_clip)}",
                 f"block_vector: {vec.text}",
                 f"slot_labels: {','.join(vec.labels)}",
                 f"slots: {vec.slot_count} (BASE + {vec.slot_count - 1} blocks)"]
        if lora.inspire_strength_clip != lora.strength_clip:
            lines.append(f"note: Inspire's BASE value also scales the text encoder, so strength_clip here is "
                         f"{format_number(lora.strength_clip)} / BASE")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return ["  ".join(cell.rjust(w) if c else cell.ljust(w) for c, (cell, w) in enumerate(zip(r, widths, strict=True)))
            .rstrip() for r in rows]


def report_text(result: CombineResult) -> str:
    lines = [f"LoRA Block-Weight Combiner: policy {result.policy}, headroom {format_number(result.headroom)}, "
             f"family {result.family or '-'}", "", "LoRAs:"]
    index = {k: n for n, k in enumerate(result.included, start=1)}
    for k, lora in enumerate(result.loras):
        tag = f"[{index[k]}]" if k in index else "[-]"
        if lora.included:
            lines.append(f"  {tag} {lora.name}  role={lora.role}  arch={lora.arch}  "
                         f"strength_model={format_number(lora.strength_model)}  "
                         f"strength_clip={format_number(lora.strength_clip)}"
                         f"{'' if lora.has_clip else ' (UNet-only)'}")
        else:
            lines.append(f"  {tag} {lora.name}  arch={lora.arch}  EXCLUDED ({lora.excluded_reason})")
    lines += ["", "Compatibility:"]
    if result.verdicts:
        lines += [f"  {v.code}{'' if v.excluded else ' (warning)'}: {v.detail}" for v in result.verdicts]
    else:
        lines.append(f"  compatible: all {len(result.included)} LoRAs share {result.family or '-'} and its layout")
    n = len(result.included)
    if result.units:
        lines += ["", "Per block: norm = ‖k·ΔW‖ at the requested strength; combined = ‖Σ k·ΔW‖; "
                  "budget = headroom × largest norm at strength 1; result = combined after the factors"]
        header = ["block", "group", *[f"norm[{i}]" for i in range(1, n + 1)], "combined", "budget", "result",
                  *[f"factor[{i}]" for i in range(1, n + 1)]]
        rows = [header]
        for u in result.units:
            rows.append([u.label, u.group, *[_norm(v) for v in u.requested_norms], _norm(u.combined_requested),
                         _norm(u.budget), _norm(u.combined_result), *[_fixed(f) for f in u.factors]])
        lines += ["  " + line for line in _table(rows)]
        overlap = [u for u in result.units if u.cosines]
        if overlap:
            lines += ["", "Overlap (cosine of the weight changes per block; +1 aligned, 0 orthogonal, -1 opposed):"]
            for u in overlap:
                pairs = "  ".join(f"{i + 1}-{j + 1} {v:+.4f}" for (i, j), v in sorted(u.cosines.items()))
                lines.append(f"  {u.label}: {pairs}")
    notes = [(index.get(k), lora) for k, lora in enumerate(result.loras) if lora.notes]
    if notes:
        lines += ["", "Notes:"]
        for num, lora in notes:
            lines += [f"  [{num or '-'}] {lora.name}: {note}" for note in lora.notes]
    return "\n".join(lines)


def outputs_dict(result: CombineResult, schedule_string: str) -> dict:
    """The outputs of a combination as JSON data (what a configuration set stores and reloads)."""
    loras = []
    for lora in result.loras:
        entry = {"lora_name": lora.name, "role": lora.role, "arch": lora.arch, "included": lora.included,
                 "excluded_reason": lora.excluded_reason, "strength_model": lora.strength_model,
                 "strength_clip": lora.strength_clip, "notes": list(lora.notes)}
        if lora.inspire is not None:
            entry.update(block_values=dict(lora.values), inspire_vector=lora.inspire.text,
                         inspire_labels=list(lora.inspire.labels), inspire_strength_clip=lora.inspire_strength_clip)
        loras.append(entry)
    return {"policy": result.policy, "headroom": result.headroom, "family": result.family, "loras": loras,
            "verdicts": [v.to_dict() for v in result.verdicts], "schedule_string": schedule_string,
            "lora_configs": lora_config_text(result), "report": report_text(result)}
