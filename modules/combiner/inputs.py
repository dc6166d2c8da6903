"""The LoRAs of a combination, from schedule items to `CombineInput`s: one path for the node and the route.

Only the name resolver differs: the node resolves through ComfyUI's `folder_paths`, the route through
its name guard (`routes/name_guard.py`). Everything after that (architecture detection, folder role,
block-weight profiles) is this module, so equal requests give equal inputs, hence equal results.
"""

from __future__ import annotations

from collections.abc import Callable

from ..arch.ids import UNKNOWN
from ..blocks.layouts import layout_for
from ..inspection.lora_facts import describe_lora
from ..library.roles import role_of_name
from ..schedule.model import LoraItem
from .engine import CombineInput

# requested name -> (the name ComfyUI lists, its file); raises ValueError (or a subclass) naming the LoRA
Resolver = Callable[[str], tuple[str, str]]


class UnreadableLora(ValueError):
    """A listed LoRA whose file cannot be read; the message names it."""


def combine_inputs(items: list[LoraItem], resolve: Resolver) -> list[CombineInput]:
    """`CombineInput`s of the enabled items, in order; each item's `lora_name` becomes ComfyUI's name."""
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
        inputs.append(CombineInput(name, path, arch, role_of_name(name), item))
    return inputs


def apply_profile(inp: CombineInput, profile: dict) -> None:
    """Set the block values of a saved block-weight profile (`library/profiles.py`) on `inp`'s item.

    The profile's values fill the LoRA's vector; block values given explicitly for the same LoRA win.
    A profile of another layout than the LoRA's is a ValueError naming both.
    """
    layout = layout_for(inp.arch)
    if layout is None or layout.name != profile["layout"]:
        raise ValueError(f"LoRA {inp.name!r}: profile {profile['name']!r} is for layout {profile['layout']}, "
                         f"the LoRA ({inp.arch}) has layout {layout.name if layout else 'none'}")
    if not profile.get("blocks"):
        raise ValueError(f"profile {profile['name']!r}: its {len(profile['weights'])} weights match no variant "
                         f"of layout {profile['layout']}")
    vectors = {block: float(w) for block, w in zip(profile["blocks"], profile["weights"], strict=True)}
    vectors.update(inp.item.vectors)
    inp.item.vectors = vectors
