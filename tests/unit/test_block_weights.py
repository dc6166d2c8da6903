import pytest
from lora_weights_builder.modules.blocks.weights import effective_vector, module_multipliers

SDXL_KEYS = [
    "lora_unet_input_blocks_4_1_proj_in.lora_up.weight",
    "lora_unet_input_blocks_4_1_proj_in.lora_down.weight",
    "lora_unet_input_blocks_4_1_proj_in.alpha",
    "lora_unet_output_blocks_3_1_transformer_blocks_0_attn1_to_q.lora_up.weight",
    "lora_unet_output_blocks_3_1_transformer_blocks_0_attn1_to_q.lora_down.weight",
    "lora_te1_text_model_encoder_layers_3_mlp_fc1.lora_up.weight",
    "lora_te2_text_model_encoder_layers_3_mlp_fc1.lora_up.weight",
]


def test_explicit_vector_sets_only_its_block():
    got = module_multipliers("SDXL", SDXL_KEYS, None, {"output_3": 0.5})
    assert got == {"lora_unet_output_blocks_3_1_transformer_blocks_0_attn1_to_q": 0.5}


def test_sdxl_text_encoders_are_weighted_separately():
    got = module_multipliers("SDXL", SDXL_KEYS, None, {"te2_layer_3": 0.0})
    assert got == {"lora_te2_text_model_encoder_layers_3_mlp_fc1": 0.0}


def test_seed_clip_layer_id_covers_both_encoders():
    got = module_multipliers("SDXL", SDXL_KEYS, None, {"clip_layer_3": -1.0})
    assert got == {"lora_te1_text_model_encoder_layers_3_mlp_fc1": -1.0,
                   "lora_te2_text_model_encoder_layers_3_mlp_fc1": -1.0}


def test_explicit_vector_overrides_preset():
    preset_only = effective_vector("SDXL", ["input_4", "output_3"], "STYLE_FOCUSED", {})
    assert preset_only["input_4"] == 0.6
    overridden = effective_vector("SDXL", ["input_4", "output_3"], "STYLE_FOCUSED", {"input_4": 1.25})
    assert overridden["input_4"] == 1.25
    assert overridden["output_3"] == preset_only["output_3"]


def test_linear_preset_and_custom_change_nothing():
    assert module_multipliers("SDXL", SDXL_KEYS, "LINEAR", {}) == {}
    assert module_multipliers("SDXL", SDXL_KEYS, "CUSTOM", {}) == {}


@pytest.mark.parametrize("block", ["double_3", "output_12", "banana"])
def test_block_not_in_architecture_is_an_error_naming_it(block):
    with pytest.raises(ValueError, match=block):
        module_multipliers("SDXL", SDXL_KEYS, None, {block: 0.5})


def test_unknown_preset_is_an_error():
    with pytest.raises(ValueError, match="unknown preset 'MAGIC'"):
        module_multipliers("SDXL", SDXL_KEYS, "MAGIC", {})
