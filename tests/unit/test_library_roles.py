"""Folder-derived roles (seed 000 phase 8.1)."""

import pytest
from lora_weights_builder.modules.library.roles import ROLES, role_of_name, role_table


@pytest.mark.parametrize(("name", "role"), [
    ("characters/aiko.safetensors", "character"),
    ("SDXL/01_Characters/anime/aiko.safetensors", "character"),
    ("Styles/ink.safetensors", "style"),
    ("characters/outfits/armor.safetensors", "clothing"),  # the nearest folder wins
    ("sdxl-poses/run.safetensors", "pose"),  # a word of the folder name
    ("tools/detail_slider.safetensors", "detail"),
    ("Backgrounds/city.safetensors", "background"),
    ("concepts/glass.safetensors", "concept"),
    ("style_characters/x.safetensors", "other"),  # two roles in one name: no guess
    ("character.safetensors", "other"),  # the file name never counts
    ("misc/x.safetensors", "other"),
    ("chromatic/x.safetensors", "other"),
    ("characters\\win\\x.safetensors", "character"),
])
def test_role_from_folders(name, role):
    assert role_of_name(name) == role


def test_table_is_versioned_and_covers_every_role():
    table = role_table()
    assert table["version"] >= 1
    assert set(table["folders"]) | {"other"} == set(ROLES)
