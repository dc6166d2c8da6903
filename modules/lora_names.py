"""Resolve the LoRA name a user or a schedule string gives to one of the names ComfyUI lists.

Schedule strings carry stems (`<lora:MyLora:...>`, seed 004 serializes `Path(lora_name).stem`),
workflows carry full names (`styles/MyLora.safetensors`), and Windows users type backslashes. The
answer is always one of `available` (the names ComfyUI's `loras` folders list), never a path built
from user text. Several equally good candidates are an error that lists them: guessing the first
one (what the seed's reference implementation did) silently applies the wrong LoRA.
"""

from collections.abc import Iterable
from pathlib import PurePosixPath

LORA_EXTENSIONS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".sft")


class LoraNameError(ValueError):
    """A LoRA name that matches no file, or several."""


def _without_extension(name: str) -> str:
    lower = name.lower()
    for ext in LORA_EXTENSIONS:
        if lower.endswith(ext):
            return name[: -len(ext)]
    return name


def _stem(name: str) -> str:
    return _without_extension(PurePosixPath(name).name)


def resolve_lora_name(name: str, available: Iterable[str]) -> str:
    """The entry of `available` that `name` designates.

    Tried in order, the first rule with exactly one match wins: the exact name; the name with `/`
    separators; the name without extension against entries without extension; the file stem and
    the file stem ignoring case (those two only for a name without folders). Raises `LoraNameError` naming the LoRA and the candidates otherwise.
    """
    names = list(available)
    wanted = name.strip()
    if not wanted:
        raise LoraNameError("empty LoRA name")
    if wanted in names:
        return wanted
    normalised = wanted.replace("\\", "/")
    slashed = {n: n.replace("\\", "/") for n in names}
    rules = [
        lambda n: slashed[n] == normalised,
        lambda n: _without_extension(slashed[n]) == _without_extension(normalised),
    ]
    if "/" not in normalised:  # a bare name may be a stem; a name with folders must match its folders
        rules += [
            lambda n: _stem(slashed[n]) == _stem(normalised),
            lambda n: _stem(slashed[n]).lower() == _stem(normalised).lower(),
        ]
    for rule in rules:
        matches = [n for n in names if rule(n)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(sorted(matches)[:10])
            raise LoraNameError(f"LoRA {name!r} is ambiguous: it matches {listed}; use the full name")
    raise LoraNameError(f"LoRA {name!r} not found in ComfyUI's loras folders")
