"""The Multi Scheduled LoRA Loader's operation modes (seed 004, "Operation modes").

Which inputs are present decides what is applied and what the `schedule_string` output says:

| mode       | internal | string | hooks | applied                        | schedule_string out            |
|------------|----------|--------|-------|--------------------------------|--------------------------------|
| STANDARD   | yes      | no     | any   | previous hooks, then internal  | internal                       |
| OVERRIDE   | yes      | yes    | yes   | previous hooks, then internal  | input + newline + internal     |
| CHAIN      | yes      | yes    | no    | string items, then internal    | input + newline + internal     |
| EXTERNAL_A | no       | yes    | no    | string items                   | re-serialized string items     |
| EXTERNAL_B | no       | no     | yes   | previous hooks                 | empty                          |
| BRIDGE     | no       | yes    | yes   | previous hooks                 | input, unchanged               |
| EMPTY      | no       | no     | no    | nothing                        | empty                          |

CHAIN is this pack's answer to a case the seed's table leaves out: its reference implementation
ran it as STANDARD and silently dropped the connected string's LoRAs. Here the string's LoRAs are
applied before the internal ones, since no `previous_hooks` carries them. In OVERRIDE and BRIDGE
the string is not applied (its LoRAs arrive through `previous_hooks`) but its LoRAs' trigger words
are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .model import LoraItem
from .parse import parse_schedule_string
from .serialize import serialize_schedule

STANDARD = "STANDARD"
OVERRIDE = "OVERRIDE"
CHAIN = "CHAIN"
EXTERNAL_A = "EXTERNAL_A"
EXTERNAL_B = "EXTERNAL_B"
BRIDGE = "BRIDGE"
EMPTY = "EMPTY"


@dataclass(frozen=True)
class OperationPlan:
    mode: str
    apply_items: list[LoraItem] = field(default_factory=list)
    """Items to build hooks from, in order (after `previous_hooks` when `use_previous_hooks`)."""
    use_previous_hooks: bool = False
    trigger_items: list[LoraItem] = field(default_factory=list)
    """Items whose trigger words the node reports: the applied ones plus, in OVERRIDE and BRIDGE,
    the upstream string's."""
    schedule_string: str = ""


def plan_operation(internal: list[LoraItem], schedule_string: str | None, has_previous_hooks: bool,
                   resolve: Callable[[LoraItem], LoraItem] | None = None) -> OperationPlan:
    """Decide the mode and its effects. A malformed `schedule_string` raises ScheduleError in every
    mode that reads it (all but EXTERNAL_B and EMPTY).

    `resolve` maps each item this node applies or writes (the node resolves profile presets with it,
    so the output string carries their values); the upstream string's items are only resolved in the
    modes that apply or re-write them (CHAIN, EXTERNAL_A)."""
    same = resolve or (lambda item: item)
    enabled = [same(item) for item in internal if item.enabled]
    text = schedule_string or ""
    has_string = bool(text.strip())
    upstream = [item for item in parse_schedule_string(text) if item.enabled] if has_string else []
    if has_string and not has_previous_hooks:  # CHAIN, EXTERNAL_A
        upstream = [same(item) for item in upstream]

    if enabled and has_string and has_previous_hooks:
        return OperationPlan(OVERRIDE, enabled, True, upstream + enabled,
                             _join(text, serialize_schedule(enabled)))
    if enabled and has_string:
        return OperationPlan(CHAIN, upstream + enabled, False, upstream + enabled,
                             _join(text, serialize_schedule(enabled)))
    if enabled:
        return OperationPlan(STANDARD, enabled, has_previous_hooks, enabled, serialize_schedule(enabled))
    if has_string and has_previous_hooks:
        return OperationPlan(BRIDGE, [], True, upstream, text)
    if has_string:
        return OperationPlan(EXTERNAL_A, upstream, False, upstream, serialize_schedule(upstream))
    if has_previous_hooks:
        return OperationPlan(EXTERNAL_B, [], True, [], "")
    return OperationPlan(EMPTY)


def _join(upstream: str, own: str) -> str:
    """Seed 004: `"\\n".join(filter(None, [str_prepend, own]))`."""
    return "\n".join(part for part in (upstream, own) if part)
