import pytest
from lora_weights_builder.modules.inspection.lora_names import LoraNameError, resolve_lora_name

LIBRARY = [
    "styles/Ink Wash.safetensors",
    "characters/alice_v2.safetensors",
    "characters/old/alice_v1.safetensors",
    "detail.safetensors",
    "detail.ckpt",
    "a/twin.safetensors",
    "b/twin.safetensors",
]


@pytest.mark.parametrize("given, expected", [
    ("styles/Ink Wash.safetensors", "styles/Ink Wash.safetensors"),
    ("styles\\Ink Wash.safetensors", "styles/Ink Wash.safetensors"),
    ("styles/Ink Wash", "styles/Ink Wash.safetensors"),
    ("Ink Wash", "styles/Ink Wash.safetensors"),
    ("ink wash", "styles/Ink Wash.safetensors"),
    ("alice_v1", "characters/old/alice_v1.safetensors"),
    ("  alice_v2  ", "characters/alice_v2.safetensors"),
    ("detail.ckpt", "detail.ckpt"),
])
def test_resolves_names_stems_and_separators(given, expected):
    assert resolve_lora_name(given, LIBRARY) == expected


def test_ambiguous_stem_lists_candidates_instead_of_guessing():
    with pytest.raises(LoraNameError, match="ambiguous.*a/twin.safetensors, b/twin.safetensors"):
        resolve_lora_name("twin", LIBRARY)
    with pytest.raises(LoraNameError, match="ambiguous"):
        resolve_lora_name("detail", LIBRARY)


@pytest.mark.parametrize("given", ["missing", "../styles/Ink Wash", "/etc/passwd", "Ink"])
def test_unknown_names_are_errors_naming_the_lora(given):
    with pytest.raises(LoraNameError, match="not found"):
        resolve_lora_name(given, LIBRARY)


def test_empty_name():
    with pytest.raises(LoraNameError, match="empty"):
        resolve_lora_name("   ", LIBRARY)
