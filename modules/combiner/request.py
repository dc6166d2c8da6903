"""The body of `POST /mad-nodes/combine`, validated into schedule items, a policy and a headroom.

    {"loras": [{"lora_name", "strength_model", "strength_clip", "vectors"?, "profile"?,
                "preset"?, "points"?, "enabled"?, "arch"?}], "policy"?, "headroom"?}

Every problem is a `CombineRequestError` whose `field` names where it is (`loras[2].strength_model`)
and whose message says what is wrong: a missing or mistyped field, an unknown key, a number that is
not finite or out of range, an unknown policy, more than `MAX_LORAS` LoRAs. Numbers must be JSON
numbers (not strings, not booleans). An item is otherwise what the node's `combiner_config` holds,
checked by the same `item_from_config`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..schedule.model import LoraItem, ScheduleError, check_ident, item_from_config
from .policies import DEFAULT_HEADROOM, POLICIES

MAX_LORAS = 32
MAX_STRENGTH = 100.0  # ComfyUI's own LoRA loaders accept strengths in [-100, 100]
MIN_HEADROOM, MAX_HEADROOM = 0.05, 100.0  # the node's headroom widget range
BODY_KEYS = ("loras", "policy", "headroom")
LORA_KEYS = ("lora_name", "strength_model", "strength_clip", "vectors", "profile", "preset", "points", "enabled",
             "arch", "color")


class CombineRequestError(ValueError):
    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass
class CombineRequest:
    items: list[LoraItem]
    profiles: list[str | None]  # per item, the name of a saved block-weight profile
    policy: str
    headroom: float


def _number(value, field: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CombineRequestError(field, f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise CombineRequestError(field, f"{value!r} is not a finite number")
    if not low <= value <= high:
        raise CombineRequestError(field, f"{value!r} is out of range [{low:g}, {high:g}]")
    return float(value) + 0.0


def _unknown_keys(raw: dict, allowed: tuple[str, ...], field: str) -> None:
    unknown = sorted(k for k in raw if k not in allowed)
    if unknown:
        raise CombineRequestError(field, f"unknown key(s) {', '.join(map(repr, unknown))} "
                                         f"(expected {', '.join(allowed)})")


def _lora(raw, n: int) -> tuple[LoraItem, str | None]:
    field = f"loras[{n}]"
    if not isinstance(raw, dict):
        raise CombineRequestError(field, f"expected an object, got {type(raw).__name__}")
    _unknown_keys(raw, LORA_KEYS, field)
    name = raw.get("lora_name")
    if not isinstance(name, str) or not name.strip():
        raise CombineRequestError(f"{field}.lora_name", "must be a non-empty string")
    for key in ("strength_model", "strength_clip"):
        if key in raw:
            _number(raw[key], f"{field}.{key}", -MAX_STRENGTH, MAX_STRENGTH)
    vectors = raw.get("vectors")
    if vectors is not None:
        if not isinstance(vectors, dict):
            raise CombineRequestError(f"{field}.vectors", "expected an object of block: value")
        for block, value in vectors.items():
            try:
                check_ident(block, "block id")
            except ScheduleError as err:
                raise CombineRequestError(f"{field}.vectors", str(err)) from None
            _number(value, f"{field}.vectors.{block}", -MAX_STRENGTH, MAX_STRENGTH)
    profile = raw.get("profile")
    if profile is not None and (not isinstance(profile, str) or not profile.strip()):
        raise CombineRequestError(f"{field}.profile", "expected the name of a saved profile")
    try:
        item = item_from_config({k: v for k, v in raw.items() if k != "profile"}, field)
    except ScheduleError as err:
        raise CombineRequestError(field, err.detail.removeprefix(f"{field} ({name}): ")) from None
    return item, profile


def parse_combine_request(body) -> CombineRequest:
    """The validated request (see the module docstring); raises `CombineRequestError`."""
    if not isinstance(body, dict):
        raise CombineRequestError("body", f"expected a JSON object, got {type(body).__name__}")
    _unknown_keys(body, BODY_KEYS, "body")
    loras = body.get("loras")
    if not isinstance(loras, list):
        raise CombineRequestError("loras", "expected a list of LoRA objects")
    if len(loras) > MAX_LORAS:
        raise CombineRequestError("loras", f"{len(loras)} LoRAs, at most {MAX_LORAS}")
    parsed = [_lora(raw, n) for n, raw in enumerate(loras)]
    policy = body.get("policy", POLICIES[0])
    if policy not in POLICIES:
        raise CombineRequestError("policy", f"unknown policy {policy!r} (expected one of {', '.join(POLICIES)})")
    headroom = _number(body.get("headroom", DEFAULT_HEADROOM), "headroom", MIN_HEADROOM, MAX_HEADROOM)
    return CombineRequest([p[0] for p in parsed], [p[1] for p in parsed], policy, headroom)
