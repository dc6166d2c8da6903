"""The LoRAs of a combination, from schedule items to `CombineInput`s: one path for the node and the route.

Only the name resolver differs: the node resolves through ComfyUI's `folder_paths`, the route through
its name guard (`routes/name_guard.py`). Everything after that (architecture detection, folder role,
block-weight profiles) is this module, so equal requests give equal inputs, hence equal results.
"""

from __future__ import annotations

from collections.abc import Callable

from ..arch.ids import UNKNOWN
from ..blocks.templates import FindProfile
from ..inspection.lora_facts import describe_lora
from ..library.roles import role_of_name
from ..library.template_resolve import resolve_item_for_file
from ..schedule.model import LoraItem
from .engine import CombineInput

# requested name -> (the name ComfyUI lists, its file); raises ValueError (or a subclass) naming the LoRA
Resolver = Callable[[str], tuple[str, str]]


class UnreadableLora(ValueError):
    """A listed LoRA whose file cannot be read; the message names it."""


def combine_inputs(items: list[LoraItem], resolve: Resolver, find_profile: FindProfile | None = None,
                   profiles: list[str | None] | None = None) -> list[CombineInput]:
    """`CombineInput`s of the enabled items, in order; each item's `lora_name` becomes ComfyUI's name.

    With `find_profile`, an item whose preset names a saved profile gets its values, and so does an item
    whose `profiles` entry (the per-LoRA `profile` of the combiner's config or request, aligned with `items`)
    names one: `library/template_resolve.py`, the loader's resolution. A profile that is not saved or does
    not fit the LoRA is a `TemplateError` naming both (`UnknownProfile` for the first).
    """
    inputs = []
    for n, item in enumerate(items):
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
        profile = profiles[n] if profiles else None
        if find_profile is not None:
            try:
                item = resolve_item_for_file(item, arch, path, find_profile, profile)
            except OSError as err:
                raise UnreadableLora(f"LoRA {name!r}: cannot read the file: {err}") from None
        inputs.append(CombineInput(name, path, arch, role_of_name(name), item, profile))
    return inputs
