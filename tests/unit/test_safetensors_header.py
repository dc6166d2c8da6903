"""The safetensors header reader on real files and on hand-built (golden-byte) malformed ones."""

import json
import struct

import pytest
import torch
from lora_weights_builder.modules.inspection.header import SafetensorsHeaderError, TensorInfo, read_header
from safetensors.torch import save_file


def raw_file(path, header, data=b"", length=None, raw_json=None):
    """Write 8-byte length + JSON + data by hand; `length` overrides the declared header length."""
    body = raw_json if raw_json is not None else json.dumps(header).encode()
    n = len(body) if length is None else length
    path.write_bytes(struct.pack("<Q", n) + body + data)
    return path


def one_tensor(dtype="F32", shape=(2, 3), offsets=(0, 24)):
    return {"w": {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}}


def test_reads_a_file_written_by_safetensors(tmp_path):
    path = tmp_path / "lora.safetensors"
    save_file({"a.lora_down.weight": torch.zeros(4, 768, dtype=torch.float16),
               "a.alpha": torch.tensor(4.0)},
              str(path), metadata={"ss_base_model_version": "sd_v1", "ss_network_dim": "4"})
    header = read_header(path)
    assert header.tensors["a.lora_down.weight"].shape == (4, 768)
    assert header.tensors["a.lora_down.weight"].dtype == "F16"
    assert header.tensors["a.alpha"].shape == ()
    assert header.metadata == {"ss_base_model_version": "sd_v1", "ss_network_dim": "4"}
    assert header.file_size == path.stat().st_size
    assert header.data_start + sum(t.nbytes for t in header.tensors.values()) == header.file_size


def test_golden_bytes_give_exact_fields(tmp_path):
    header = {"__metadata__": {"k": "v"}, **one_tensor("BF16", (3,), (0, 6))}
    path = raw_file(tmp_path / "g.safetensors", header, data=b"\0" * 6)
    parsed = read_header(path)
    assert parsed.tensors == {"w": TensorInfo("BF16", (3,), (0, 6))}
    assert parsed.metadata == {"k": "v"}
    assert parsed.header_size == len(json.dumps(header).encode())


def test_trailing_space_padding_is_allowed(tmp_path):
    body = json.dumps(one_tensor()).encode() + b"    "
    path = raw_file(tmp_path / "pad.safetensors", None, data=b"\0" * 24, raw_json=body)
    assert read_header(path).tensors["w"].shape == (2, 3)


def test_no_metadata_gives_empty_dict(tmp_path):
    path = raw_file(tmp_path / "m.safetensors", one_tensor(), data=b"\0" * 24)
    assert read_header(path).metadata == {}


@pytest.mark.parametrize("length", [2**64 - 1, 2**63, 2**40])
def test_huge_header_length_is_a_clean_error(tmp_path, length):
    path = raw_file(tmp_path / "huge.safetensors", one_tensor(), data=b"\0" * 24, length=length)
    with pytest.raises(SafetensorsHeaderError, match="exceeds the 100000000-byte limit") as err:
        read_header(path)
    assert str(path) in str(err.value)
    assert isinstance(err.value, ValueError)


def test_header_length_past_end_of_file(tmp_path):
    path = raw_file(tmp_path / "short.safetensors", one_tensor(), length=5000)
    with pytest.raises(SafetensorsHeaderError, match="runs past the end"):
        read_header(path)


def test_cap_is_configurable(tmp_path):
    path = raw_file(tmp_path / "cap.safetensors", one_tensor(), data=b"\0" * 24)
    with pytest.raises(SafetensorsHeaderError, match="exceeds the 10-byte limit"):
        read_header(path, max_header_bytes=10)


@pytest.mark.parametrize("content", [b"", b"\x01\x02\x03"])
def test_empty_or_tiny_file(tmp_path, content):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(content)
    with pytest.raises(SafetensorsHeaderError, match="too short"):
        read_header(path)


def test_missing_file_is_a_header_error(tmp_path):
    with pytest.raises(SafetensorsHeaderError, match="cannot read file"):
        read_header(tmp_path / "nope.safetensors")


def test_pickle_checkpoint_is_not_safetensors(tmp_path):
    path = tmp_path / "model.safetensors"
    torch.save({"w": torch.zeros(2)}, path)  # a zip/pickle file renamed
    with pytest.raises(SafetensorsHeaderError):
        read_header(path)


@pytest.mark.parametrize("body, problem", [
    (b'{"w": {"dtype": "F32",', "not valid JSON"),
    (b"[1, 2, 3]", "does not start with '{'"),
    (b'{"a": 1} {"b": 2}', "not valid JSON"),
    (b'{"w": \xff\xfe}', "not UTF-8"),
])
def test_bad_json(tmp_path, body, problem):
    path = raw_file(tmp_path / "bad.safetensors", None, raw_json=body, data=b"\0" * 8)
    with pytest.raises(SafetensorsHeaderError, match=problem):
        read_header(path)


def test_duplicate_tensor_names_are_refused(tmp_path):
    """json.loads would silently keep the last of two same-named tensors."""
    first, second = (json.dumps({"dtype": "F32", "shape": [1], "data_offsets": [a, a + 4]}) for a in (0, 4))
    body = f'{{"w": {first}, "w": {second}}}'.encode()
    path = raw_file(tmp_path / "dup.safetensors", None, raw_json=body, data=b"\0" * 8)
    with pytest.raises(SafetensorsHeaderError, match="duplicate key"):
        read_header(path)


def test_json_that_is_not_an_object(tmp_path):
    # Starts with '{' check passes only for objects; a string header is refused as well.
    path = raw_file(tmp_path / "s.safetensors", None, raw_json=b'"{abc}"')
    with pytest.raises(SafetensorsHeaderError, match="does not start with"):
        read_header(path)


@pytest.mark.parametrize("entry, problem", [
    ({"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}, "unknown dtype 'F33'"),
    ({"dtype": 5, "shape": [1], "data_offsets": [0, 4]}, "unknown dtype 5"),
    ({"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}, "not a list of non-negative integers"),
    ({"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}, "not a list of non-negative integers"),
    ({"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}, "not a list of non-negative integers"),
    ({"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}, "not a list of non-negative integers"),
    ({"dtype": "F32", "shape": [1], "data_offsets": [0]}, "not a pair"),
    ({"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}, "end before they start"),
    ({"dtype": "F32", "shape": [1], "data_offsets": [0, 4000]}, "run past the end"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}, "needs 8 bytes but data_offsets span 4"),
    ({"dtype": "F32", "shape": [1]}, "missing 'data_offsets'"),
    ([1, 2], "entry is a list"),
])
def test_bad_tensor_entries_name_the_tensor(tmp_path, entry, problem):
    path = raw_file(tmp_path / "t.safetensors", {"my.tensor": entry}, data=b"\0" * 16)
    with pytest.raises(SafetensorsHeaderError, match=problem) as err:
        read_header(path)
    assert "'my.tensor'" in str(err.value)


def test_truncated_data_buffer(tmp_path):
    header = {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
              "b": {"dtype": "F32", "shape": [4], "data_offsets": [16, 32]}}
    path = raw_file(tmp_path / "trunc.safetensors", header, data=b"\0" * 20)  # 12 bytes missing
    with pytest.raises(SafetensorsHeaderError, match="tensor 'b'.*truncated file"):
        read_header(path)


def test_overlapping_offsets(tmp_path):
    header = {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
              "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}
    path = raw_file(tmp_path / "overlap.safetensors", header, data=b"\0" * 24)
    with pytest.raises(SafetensorsHeaderError, match="overlap"):
        read_header(path)


def test_zero_sized_tensors_do_not_count_as_overlap(tmp_path):
    header = {"a": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]},
              "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    path = raw_file(tmp_path / "zero.safetensors", header, data=b"\0" * 4)
    assert read_header(path).tensors["a"].numel == 0


def test_sub_byte_dtype_sizes(tmp_path):
    header = {"q": {"dtype": "F4", "shape": [2, 4], "data_offsets": [0, 4]}}
    path = raw_file(tmp_path / "f4.safetensors", header, data=b"\0" * 4)
    assert read_header(path).tensors["q"].nbytes == 4


@pytest.mark.parametrize("meta, problem", [
    ({"steps": 1000}, r"__metadata__\['steps'\] is a int"),
    ({"tags": ["a"]}, r"__metadata__\['tags'\] is a list"),
    ({"x": None}, r"__metadata__\['x'\] is a NoneType"),
])
def test_metadata_values_must_be_strings(tmp_path, meta, problem):
    path = raw_file(tmp_path / "meta.safetensors", {"__metadata__": meta, **one_tensor()}, data=b"\0" * 24)
    with pytest.raises(SafetensorsHeaderError, match=problem):
        read_header(path)


def test_metadata_must_be_an_object(tmp_path):
    path = raw_file(tmp_path / "meta.safetensors", {"__metadata__": "x", **one_tensor()}, data=b"\0" * 24)
    with pytest.raises(SafetensorsHeaderError, match="__metadata__ is a str"):
        read_header(path)


def test_header_is_read_without_reading_the_data(tmp_path):
    """A 1 GB sparse file parses instantly: only 8 + N bytes are read."""
    path = raw_file(tmp_path / "big.safetensors", {"w": {"dtype": "U8", "shape": [2**30],
                                                          "data_offsets": [0, 2**30]}})
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size + 2**30)
    assert read_header(path).tensors["w"].numel == 2**30
