"""The LoRAs of a combination, from schedule items to `CombineInput`s: one path for the node and the route.

Only the name resolver differs: the node resolves through ComfyUI's `folder_paths`, the route through
its name guard (`routes/name_guard.py`). Everything after that (architecture detection, folder role,
block-weight profiles) is this module, so equal requests give equal inputs, hence equal results.
"""

from __future__ import annotations

from collections.abc import Callable

from ..arch.ids import UNKNOWN
from ..blocks.templates import FindProfile, is_template
from ..inspection.lora_facts import describe_lora
from ..library.roles import role_of_name
from ..library.template_resolve import apply_template, resolve_item_for_file
from ..schedule.model import LoraItem
from .engine import CombineInput

# requested name -> (the name ComfyUI lists, its file); raises ValueError (or a subclass) naming the LoRA
Resolver = Callable[[str], tuple[str, str]]


class UnreadableLora(ValueError):
    """A listed LoRA whose file cannot be read; the message names it."""


def combine_inputs(items: list[LoraItem], resolve: Resolver,
                   find_profile: FindProfile | None = None) -> list[CombineInput]:
    """`CombineInput`s of the enabled items, in order; each item's `lora_name` becomes ComfyUI's name.

    With `find_profile`, an item whose preset names a saved profile gets its values (`blocks/templates.py`).
    """
    inputs = []
    for item in items:
        if not item.enabled:
            continue
        name, path = resolve(item.lora_name)
        arch = item.arch
        if not arch or arch == UNKNOWN:
            try:
                arch = describe_lora(path).arch.arch
            except (OSError, ValueError) as err:
                raise UnreadableLora(f"LoRA {name!r}: cannot read the file: {err}") from None
        item.lora_name = name
        if find_profile is not None and is_template(item.preset):
            try:
                item = resolve_item_for_file(item, arch, path, find_profile)
            except OSError as err:
                raise UnreadableLora(f"LoRA {name!r}: cannot read the file: {err}") from None
        inputs.append(CombineInput(name, path, arch, role_of_name(name), item))
    return inputs


def apply_profile(inp: CombineInput, profile: dict) -> None:
    """Set the block values of a saved block-weight profile (`library/profiles.py`) on `inp`'s item.

    The same resolution as `preset=NAME` in a schedule (`blocks/templates.py`): the profile's values fill
    the LoRA's vector for the depth variant its blocks imply; block values given explicitly win. A profile
    that does not fit the LoRA is a ValueError naming the profile, the LoRA and the problem.
    """
    apply_template(inp.item, profile, inp.arch, inp.path)
