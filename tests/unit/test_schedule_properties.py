"""Property tests (hypothesis) of the schedule-string round trips and the parser's error contract."""

from hypothesis import given, settings
from hypothesis import strategies as st
from lora_weights_builder.modules.schedule.model import LoraItem, ScheduleError, format_number
from lora_weights_builder.modules.schedule.parse import parse_schedule_string
from lora_weights_builder.modules.schedule.serialize import serialize_schedule


def canonical(lo: float, hi: float):
    """Numbers as the serializer writes them (4 decimals), so a round trip can be exact."""
    return st.floats(lo, hi, allow_nan=False).map(lambda v: float(format_number(v)) + 0.0)


# Names include the characters the format escapes (: > %); the parser strips surrounding spaces, as the seed does.
names = st.from_regex(r"[A-Za-z0-9_<][A-Za-z0-9_.\-:>%<= ]{0,20}", fullmatch=True).filter(
    lambda n: n == n.strip()
    and not n.lower().endswith((".safetensors", ".ckpt", ".pt", ".pt2", ".bin", ".pth", ".pkl", ".sft")))
block_ids = st.builds(lambda sec, i: f"{sec}_{i}", st.sampled_from(["input", "middle", "output", "double", "single",
                                                                     "joint", "te1_layer", "te2_layer"]),
                      st.integers(0, 40))


@st.composite
def items(draw):
    xs = sorted(set(draw(st.lists(canonical(0, 1), min_size=0, max_size=8))) | {0.0, 1.0})
    points = [(x, draw(canonical(-3, 3))) for x in xs]
    preset = draw(st.sampled_from([None, "LINEAR", "STYLE_FOCUSED", "BALANCED", "HEAVY_STYLE", "REALISM"]))
    vectors = {} if preset else draw(st.dictionaries(block_ids, canonical(-5, 5), max_size=5))
    return LoraItem(lora_name=draw(names), strength_model=draw(canonical(-10, 10)),
                    strength_clip=draw(canonical(-10, 10)), points=points, preset=preset, vectors=vectors)


@settings(max_examples=300, deadline=None)
@given(st.lists(items(), min_size=1, max_size=4))
def test_serialize_then_parse_gives_the_same_items(schedule):
    text = serialize_schedule(schedule)
    assert parse_schedule_string(text) == schedule


@settings(max_examples=300, deadline=None)
@given(st.lists(items(), min_size=1, max_size=4))
def test_parse_then_serialize_a_canonical_string_gives_the_same_string(schedule):
    text = serialize_schedule(schedule)
    assert serialize_schedule(parse_schedule_string(text)) == text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(list("ab1.0:;,=-e x") + ["nan", "vectors=", "preset=", "inf"]), max_size=30),
       st.integers(0, 3))
def test_any_line_parses_or_fails_naming_its_line(tokens, prose_lines):
    body = "".join(tokens)
    text = "\n".join(["some prose"] * prose_lines + [f"<lora:{body}>"])
    try:
        parsed = parse_schedule_string(text)
    except ScheduleError as err:
        assert err.line == prose_lines + 1
        assert str(err).startswith(f"line {prose_lines + 1}: ")
    else:
        assert len(parsed) == 1
