"""Resolve the LoRA name a user or a schedule string gives to one of the names ComfyUI lists.

Schedule strings carry stems (`<lora:MyLora:...>`, seed 004 serializes `Path(lora_name).stem`),
workflows carry full names (`styles/MyLora.safetensors`), and Windows users type backslashes. The
answer is always one of `available` (the names ComfyUI's `loras` folders list), never a path built
from user text. Several equally good candidates are an error that lists them: guessing the first
one (what the seed's reference implementation did) silently applies the wrong LoRA.
"""

from collections.abc import Iterable

# ComfyUI's folder_paths.supported_pt_extensions: only these are stripped, so a name such as
# "style.v2" written without extension keeps its dots.
MODEL_EXTENSIONS = (".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft")


class LoraNameError(ValueError):
    """A LoRA name that matches no file, or several."""


def without_model_extension(name: str) -> str:
    """`name` (a '/'-separated path) without a trailing model extension; dots elsewhere are kept."""
    dot = name.rfind(".")
    if dot > name.rfind("/") + 1 and name[dot:].lower() in MODEL_EXTENSIONS:
        return name[:dot]
    return name


def lora_stem(lora_name: str) -> str:
    """`Path(lora_name).stem` for a LoRA name from either OS: folders and a model extension removed."""
    return without_model_extension(lora_name.replace("\\", "/").rsplit("/", 1)[-1])


def listed_spelling(name: str, listed: Iterable[str], separator: str) -> str | None:
    """The entry of `listed` that is `name` on a file system whose separator is `separator`, or None.

    Exact only on POSIX ('/'), where a backslash is an ordinary file-name character. On Windows ('\\'),
    where ComfyUI lists `styles\\ink.safetensors` and browsers, the library and workflows may write
    `styles/ink.safetensors`, both separators name the same file; several matches answer None.
    """
    names = list(listed)
    if name in names:
        return name
    if separator != "\\":
        return None
    wanted = name.replace("\\", "/")
    matches = [n for n in names if n.replace("\\", "/") == wanted]
    return matches[0] if len(matches) == 1 else None


def resolve_lora_name(name: str, available: Iterable[str]) -> str:
    """The entry of `available` that `name` designates.

    Tried in order, the first rule with exactly one match wins: the exact name; the name with `/`
    separators; the name without extension against entries without extension; the file stem and
    the file stem ignoring case (those two only for a name without folders). Raises `LoraNameError`
    naming the LoRA and the candidates otherwise.
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
        lambda n: without_model_extension(slashed[n]) == without_model_extension(normalised),
    ]
    if "/" not in normalised:  # a bare name may be a stem; a name with folders must match its folders
        rules += [
            lambda n: lora_stem(slashed[n]) == lora_stem(normalised),
            lambda n: lora_stem(slashed[n]).lower() == lora_stem(normalised).lower(),
        ]
    for rule in rules:
        matches = [n for n in names if rule(n)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(sorted(matches)[:10])
            raise LoraNameError(f"LoRA {name!r} is ambiguous: it matches {listed}; use the full name")
    raise LoraNameError(f"LoRA {name!r} not found in ComfyUI's loras folders")
