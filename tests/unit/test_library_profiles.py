"""Block-weight profiles: validation that names every problem, exact storage, CSV round trip."""

from contextlib import closing

import pytest
from lora_weights_builder.modules.library import profiles
from lora_weights_builder.modules.library.schema import connect


@pytest.fixture
def conn(tmp_path):
    with closing(connect(tmp_path / "library.sqlite")) as c:
        yield c


def test_values_are_stored_exactly(conn):
    weights = [0.1 + 0.2, 1 / 3, 1e-17, -2.5, 1, 0.0, 7.000000000000001] + [1.0] * 12
    made = profiles.create_profile(conn, {"name": "Exact", "layout": "sdxl_unet_9", "weights": weights,
                                          "notes": "<b>not html</b>"})
    got = profiles.get_profile(conn, made["id"])
    assert got["weights"] == weights and [type(v) for v in got["weights"]] == [type(v) for v in weights]
    assert got["blocks"][0] == "input_0" and got["blocks"][-1] == "output_8" and got["labels"][9] == "MID"
    assert got["notes"] == "<b>not html</b>"


def test_every_problem_is_named(conn):
    with pytest.raises(profiles.ProfileError) as err:
        profiles.create_profile(conn, {"name": " x", "layout": "sdxl_unet_9",
                                       "weights": [1.0, float("nan"), "2", True] + [1.0] * 14, "extra": 1})
    problems = err.value.problems
    assert "unknown field 'extra'" in problems
    assert "name: remove the spaces at its start or end" in problems
    assert "weights[1]: nan is not finite" in problems
    assert "weights[2]: '2' is not a number" in problems and "weights[3]: True is not a number" in problems
    assert "weights: 18 values, layout sdxl_unet_9 needs 19 (one per block)" in problems
    with pytest.raises(profiles.ProfileError, match=r"weights: 3 values, layout sd3_joint needs 24 or 38"):
        profiles.create_profile(conn, {"name": "x", "layout": "sd3_joint", "weights": [1, 1, 1]})
    with pytest.raises(profiles.ProfileError, match="layout: unknown 'nope'"):
        profiles.create_profile(conn, {"name": "x", "layout": "nope", "weights": []})


def test_names_are_unique_and_edit_replaces(conn):
    a = profiles.create_profile(conn, {"name": "A", "layout": "flux_19_38", "weights": [1.0] * 57})
    profiles.create_profile(conn, {"name": "B", "layout": "flux_19_38", "weights": [1.0] * 57})
    with pytest.raises(profiles.ProfileNameTaken):
        profiles.update_profile(conn, a["id"], {"name": "B", "layout": "flux_19_38", "weights": [0.5] * 57})
    edited = profiles.update_profile(conn, a["id"], {"name": "A2", "layout": "flux_19_38", "weights": [0.5] * 57})
    assert edited["weights"] == [0.5] * 57 and edited["name"] == "A2"
    assert [p["name"] for p in profiles.list_profiles(conn, "flux_19_38")] == ["A2", "B"]
    assert profiles.delete_profile(conn, a["id"]) and not profiles.delete_profile(conn, a["id"])
    assert profiles.update_profile(conn, a["id"], {"name": "C", "layout": "flux_19_38", "weights": [1] * 57}) is None


def test_csv_round_trip(conn):
    weights = [0.1 + 0.2, 1 / 3, 2, -0.75] + [1.25] * 20
    made = profiles.create_profile(conn, {"name": "Round, \"trip\"", "layout": "sd3_joint", "weights": weights})
    text = profiles.profile_csv(made)
    assert text.splitlines()[0] == "profile,layout,index,block,weight"
    back = profiles.parse_profile_csv(text)
    assert back == {"name": made["name"], "layout": "sd3_joint", "weights": weights}


def test_csv_problems_name_the_line(conn):
    made = profiles.create_profile(conn, {"name": "P", "layout": "sdxl_unet_9", "weights": [1.0] * 19})
    lines = profiles.profile_csv(made).splitlines()
    lines[3] = lines[3].replace("input_2", "input_9")
    with pytest.raises(profiles.ProfileError, match="CSV line 4: expected index 2, block input_2"):
        profiles.parse_profile_csv("\n".join(lines))
    with pytest.raises(profiles.ProfileError, match="CSV line 1: expected the header"):
        profiles.parse_profile_csv("a,b\n")
