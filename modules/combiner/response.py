"""A combination as the JSON answer of `POST /mad-nodes/combine` (also what composition history stores).

    {"response_schema_version", "policy", "headroom", "family", "verdicts",
     "loras": [{"lora_name", "role", "arch", "included", "excluded_reason",
                "requested": {"strength_model", "strength_clip", "block_values", "profile"},
                "strength_model", "strength_clip", "block_values", "inspire_vector", "slot_labels",
                "inspire_strength_clip", "notes"}],
     "blocks": [{"block_id", "label", "group", "budget", "requested_norm", "achieved_norm",
                 "loras", "requested_norms", "achieved_norms", "factors", "cosines"}],
     "schedule_string"}

`blocks[].loras` lists the indices (into `loras`) of the combined LoRAs, in order; `requested_norms`,
`achieved_norms` and `factors` are per combined LoRA in that order (‖k_i·ΔW_i‖ as requested, after
the policy, and the factor t_i), `cosines` their matrix M_ij/√(M_ii·M_jj) in that block. An excluded
LoRA has `included: false`, its reason, its requested strengths and `block_values: {}`,
`inspire_vector: null`. Key order and number formatting are fixed: equal requests give equal bytes.
Bump `RESPONSE_SCHEMA_VERSION` when a field changes meaning or disappears (adding one does not).
"""

from __future__ import annotations

from ..schedule.serialize import serialize_schedule
from .engine import CombineInput, CombineResult

RESPONSE_SCHEMA_VERSION = 1


def _lora(result: CombineResult, k: int, inp: CombineInput) -> dict:
    lora = result.loras[k]
    vector = lora.inspire
    return {
        "lora_name": lora.name, "role": lora.role, "arch": lora.arch, "included": lora.included,
        "excluded_reason": lora.excluded_reason,
        "requested": {"strength_model": inp.item.strength_model, "strength_clip": inp.item.strength_clip,
                      "block_values": dict(lora.requested), "profile": inp.profile},
        "strength_model": lora.strength_model, "strength_clip": lora.strength_clip,
        "block_values": dict(lora.values),
        "inspire_vector": vector.text if vector else None,
        "slot_labels": list(vector.labels) if vector else [],
        "inspire_strength_clip": lora.inspire_strength_clip if lora.included else None,
        "notes": list(lora.notes),
    }


def combine_response(result: CombineResult, inputs: list[CombineInput]) -> dict:
    """The answer for `result` of `inputs` (see the module docstring)."""
    included = list(result.included)
    return {
        "response_schema_version": RESPONSE_SCHEMA_VERSION,
        "policy": result.policy,
        "headroom": result.headroom,
        "family": result.family,
        "verdicts": [v.to_dict() for v in result.verdicts],
        "loras": [_lora(result, k, inputs[k]) for k in range(len(result.loras))],
        "blocks": [{"block_id": u.unit, "label": u.label, "group": u.group, "budget": u.budget,
                    "requested_norm": u.combined_requested, "achieved_norm": u.combined_result,
                    "loras": included, "requested_norms": list(u.requested_norms),
                    "achieved_norms": list(u.achieved_norms), "factors": list(u.factors),
                    "cosines": [list(row) for row in u.gram_cosines]} for u in result.units],
        "schedule_string": serialize_schedule(result.schedule_items()),
    }
