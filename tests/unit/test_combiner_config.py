"""The combiner node's `combiner_config`: items with the per-LoRA `profile` the editor (or a hand) writes."""

import json

import pytest
from lora_weights_builder.modules.combiner.combiner_config import read_combiner_config
from lora_weights_builder.modules.schedule.model import ScheduleError


def test_profiles_are_read_beside_their_items_in_both_config_shapes():
    loras = [{"lora_name": "a.safetensors", "profile": "  soft face "}, {"lora_name": "b.safetensors"},
             {"lora_name": "c.safetensors", "enabled": False, "profile": ""}]
    for text in (json.dumps(loras), json.dumps({"active_profile": "P", "profiles": {"P": {"loras": loras}}})):
        items, profiles = read_combiner_config(text)
        assert [i.lora_name for i in items] == ["a.safetensors", "b.safetensors", "c.safetensors"]
        assert profiles == ["soft face", None, None]
    assert read_combiner_config("") == ([], [])


@pytest.mark.parametrize("profile,words", [(5, "profile name (text)"), ("x" * 101, "longer than 100")])
def test_a_profile_that_is_not_a_name_is_an_error_naming_the_item(profile, words):
    with pytest.raises(ScheduleError) as err:
        read_combiner_config(json.dumps([{"lora_name": "a.safetensors"}, {"lora_name": "b", "profile": profile}]))
    assert "item 2 (b)" in str(err.value) and words in str(err.value)
