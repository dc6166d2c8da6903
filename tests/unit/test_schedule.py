"""Schedule strings and schedule_config: the shared vectors, the round trips, the seed's examples."""

import json
import random
from pathlib import Path

import pytest
from lora_weights_builder.modules.schedule import (
    LoraItem,
    ScheduleError,
    format_number,
    lora_stem,
    parse_schedule_config,
    parse_schedule_string,
    serialize_schedule,
)
from lora_weights_builder.modules.schedule.prompt_tags import prompt_without_tags

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "schedule_strings.json").read_text())


def test_builtin_presets_vector_is_the_preset_table():
    """The JavaScript serializer's list of built-in presets is checked against the same vector."""
    from lora_weights_builder.modules.blocks.presets import PRESET_STRATEGIES

    assert VECTORS["builtin_presets"] == list(PRESET_STRATEGIES)


def configs(items):
    return [item.to_config() for item in items]


@pytest.mark.parametrize("case", VECTORS["parse"], ids=lambda c: c["name"])
def test_parse_vectors(case):
    assert configs(parse_schedule_string(case["input"])) == case["items"]


@pytest.mark.parametrize("case", VECTORS["prompt"], ids=lambda c: c["name"])
def test_prompt_without_tags_vectors(case):
    assert prompt_without_tags(case["input"]) == case["prompt"]


@pytest.mark.parametrize("case", VECTORS["parse_errors"], ids=lambda c: c["name"])
def test_parse_error_vectors(case):
    with pytest.raises(ScheduleError) as err:
        parse_schedule_string(case["input"])
    assert err.value.line == case["line"]
    assert case["contains"] in str(err.value)
    if case["line"] is not None:
        assert str(err.value).startswith(f"line {case['line']}: ")


@pytest.mark.parametrize("case", VECTORS["config"], ids=lambda c: c["name"])
def test_config_vectors(case):
    assert configs(parse_schedule_config(case["input"])) == case["items"]


@pytest.mark.parametrize("case", VECTORS["config_errors"], ids=lambda c: c["name"])
def test_config_error_vectors(case):
    with pytest.raises(ScheduleError, match=".") as err:
        parse_schedule_config(case["input"])
    assert case["contains"] in str(err.value)


def item_from_vector(raw: dict) -> LoraItem:
    return LoraItem(
        lora_name=raw["lora_name"], strength_model=raw["strength_model"], strength_clip=raw["strength_clip"],
        points=[(p["x"], p["y"]) for p in raw["points"]], enabled=raw["enabled"], arch=raw["arch"],
        preset=raw["preset"], vectors=raw["vectors"],
    )


@pytest.mark.parametrize("case", VECTORS["serialize"], ids=lambda c: c["name"])
def test_serialize_vectors(case):
    assert serialize_schedule([item_from_vector(i) for i in case["items"]]) == case["output"]


@pytest.mark.parametrize("text", VECTORS["roundtrip"])
def test_canonical_string_round_trip(text):
    items = parse_schedule_string(text)
    assert serialize_schedule(items) == text
    assert parse_schedule_string(serialize_schedule(items)) == items


@pytest.mark.parametrize(("value", "text"), VECTORS["format_number"])
def test_format_number_vectors(value, text):
    assert format_number(value) == text


def test_format_number_matches_the_seeds_python_formatting():
    rng = random.Random(4)
    values = [rng.uniform(-3, 3) for _ in range(20000)] + [k / 20000 for k in range(-40000, 40001)]
    for v in values:
        seed = f"{v:.4f}".rstrip("0").rstrip(".")
        assert format_number(v) == ("0" if seed == "-0" else seed), v


@pytest.mark.parametrize(("name", "stem"), VECTORS["stems"])
def test_stem_vectors(name, stem):
    assert lora_stem(name) == stem


def test_seed_profile_example_and_legacy_list_give_the_same_items():
    item = {"lora_name": "example.safetensors", "strength_model": 1.0, "strength_clip": 1.0,
            "points": [{"x": 0.0, "y": 1.0}, {"x": 1.0, "y": 1.0}], "enabled": True, "arch": "UNKNOWN", "vectors": {}}
    profiles = {"active_profile": "Default", "profiles": {"Default": {"loras": [item], "settings": {"snap": 0.05}}}}
    assert parse_schedule_config(json.dumps(profiles)) == parse_schedule_config(json.dumps([item]))


def test_serialized_schedule_feeds_the_next_node_unchanged():
    """STANDARD -> EXTERNAL A chaining: what one node writes, the next reads back to the same schedule."""
    config = json.dumps([{"lora_name": "styles/ink.safetensors", "strength_model": 0.8, "strength_clip": 0.6,
                          "points": [{"x": 0.2, "y": 0.0}, {"x": 0.6, "y": 1.0}], "vectors": {"output_6": 1.5}}])
    first = serialize_schedule(parse_schedule_config(config))
    assert first == "<lora:ink:0.8:0.6:0,0;0.199,0;0.2,0;0.6,1;0.601,0;1,0:vectors=output_6=1.5>"
    assert serialize_schedule(parse_schedule_string(first)) == first


# ---- property test: random canonical items survive serialize -> parse, and strings parse -> serialize ----

def _num(rng: random.Random, lo: float, hi: float) -> float:
    return float(format_number(rng.uniform(lo, hi))) + 0.0


def random_canonical_item(rng: random.Random) -> LoraItem:
    xs = sorted({_num(rng, 0, 1) for _ in range(rng.randint(1, 8))} | {0.0, 1.0})
    points = [(x, _num(rng, -2, 2)) for x in xs]  # spans [0, 1]: padding adds nothing
    preset = rng.choice([None, None, "LINEAR", "STYLE_FOCUSED"])
    vectors = {} if preset else {f"{rng.choice(['input', 'output', 'double'])}_{i}": _num(rng, -3, 3)
                                 for i in rng.sample(range(20), rng.randint(0, 4))}
    name = rng.choice(["a", "Style_v2", "x-y", "my.lora.v3"])
    return LoraItem(lora_name=name, strength_model=_num(rng, -5, 5), strength_clip=_num(rng, -5, 5),
                    points=points, preset=preset, vectors=vectors)


def test_round_trips_on_random_canonical_schedules():
    rng = random.Random(2024)
    for _ in range(500):
        items = [random_canonical_item(rng) for _ in range(rng.randint(1, 4))]
        text = serialize_schedule(items)
        assert parse_schedule_string(text) == items, text
        assert serialize_schedule(parse_schedule_string(text)) == text


def test_any_lora_line_parses_or_names_its_line():
    """Fuzz: random `<lora:...>` lines never crash with anything but ScheduleError, which names the line."""
    rng = random.Random(7)
    alphabet = ["a", "1", "0.5", ":", ";", ",", "=", "-", "nan", "vectors=", "preset=", "x", " ", "1e3", "."]
    for _ in range(3000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        text = f"prose\n<lora:{body}>"
        try:
            items = parse_schedule_string(text)
        except ScheduleError as err:
            assert err.line == 2 and str(err).startswith("line 2: ")
        else:
            assert len(items) == 1
            assert all(0.0 <= x <= 1.0 for x, _ in items[0].points)
