"""Operation modes: which LoRAs run and what schedule_string the node hands on, for every input mix."""

import pytest
from lora_weights_builder.modules.schedule.model import LoraItem, ScheduleError
from lora_weights_builder.modules.schedule.operation_modes import plan_operation

INTERNAL = [LoraItem("styles/ink.safetensors", 0.8, 1.0, [(0.0, 1.0), (1.0, 1.0)]),
            LoraItem("off.safetensors", enabled=False)]
UPSTREAM = "<lora:alice:1:1:0,1;1,1>\nsome prompt text that is not a lora line"


def names(items):
    return [i.lora_name for i in items]


def test_standard_applies_internal_after_previous_hooks():
    plan = plan_operation(INTERNAL, None, has_previous_hooks=True)
    assert plan.mode == "STANDARD"
    assert plan.use_previous_hooks
    assert names(plan.apply_items) == ["styles/ink.safetensors"]
    assert plan.schedule_string == "<lora:ink:0.8:1:0,1;1,1>"


def test_override_applies_internal_and_prepends_upstream_string():
    plan = plan_operation(INTERNAL, UPSTREAM, has_previous_hooks=True)
    assert plan.mode == "OVERRIDE"
    assert names(plan.apply_items) == ["styles/ink.safetensors"]
    assert names(plan.trigger_items) == ["alice", "styles/ink.safetensors"]
    assert plan.schedule_string == UPSTREAM + "\n<lora:ink:0.8:1:0,1;1,1>"


def test_chain_applies_string_loras_instead_of_dropping_them():
    plan = plan_operation(INTERNAL, UPSTREAM, has_previous_hooks=False)
    assert plan.mode == "CHAIN"
    assert not plan.use_previous_hooks
    assert names(plan.apply_items) == ["alice", "styles/ink.safetensors"]
    assert plan.schedule_string == UPSTREAM + "\n<lora:ink:0.8:1:0,1;1,1>"


def test_external_a_applies_and_reserializes_the_string():
    plan = plan_operation([INTERNAL[1]], "<lora:alice.safetensors:0.50:1>", has_previous_hooks=False)
    assert plan.mode == "EXTERNAL_A"
    assert names(plan.apply_items) == ["alice.safetensors"]
    assert plan.schedule_string == "<lora:alice:0.5:1:0,1;1,1>"


def test_external_b_passes_hooks_through_with_empty_string():
    plan = plan_operation([], "   ", has_previous_hooks=True)
    assert (plan.mode, plan.apply_items, plan.use_previous_hooks, plan.schedule_string) == \
        ("EXTERNAL_B", [], True, "")


def test_bridge_passes_string_through_unchanged_and_reports_its_triggers():
    plan = plan_operation([], UPSTREAM, has_previous_hooks=True)
    assert plan.mode == "BRIDGE"
    assert plan.apply_items == []
    assert plan.schedule_string == UPSTREAM
    assert names(plan.trigger_items) == ["alice"]


def test_nothing_connected_is_empty():
    plan = plan_operation([], "", has_previous_hooks=False)
    assert (plan.mode, plan.apply_items, plan.schedule_string) == ("EMPTY", [], "")


@pytest.mark.parametrize("hooks", [True, False])
def test_malformed_upstream_string_is_an_error_with_its_line(hooks):
    with pytest.raises(ScheduleError, match="line 2"):
        plan_operation(INTERNAL, "<lora:a:1:1>\n<lora:b:1:1:vectors=input_4>", has_previous_hooks=hooks)
