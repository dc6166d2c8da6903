"""Request names: refused on sight when they could leave the model folders; resolved only through the listing."""

import os

import pytest
from lora_weights_builder.routes.name_guard import (
    MAX_NAME_CHARS,
    InvalidName,
    resolve_listed,
    validate_name,
    within_model_folders,
)
from lwb_testkit.route_app import make_route_library

REFUSED = [
    "", "../x.safetensors", "a/../../x.safetensors", "a/./x.safetensors", "./x.safetensors", "a//x.safetensors",
    "a/", "/etc/passwd", "//server/share/x.safetensors", "~/x.safetensors", "~root/x.safetensors",
    "C:\\x.safetensors", "c:x.safetensors", "..\\x.safetensors", "a\\x.safetensors", "%2e%2e/x.safetensors",
    "..%2fx.safetensors", "%252e%252e%252fx", "x%00.safetensors", "x\x00.safetensors", "x\n.safetensors",
    "x\t.safetensors", "x\x7f.safetensors", "a" * (MAX_NAME_CHARS + 1), "..", ".",
]
ACCEPTED = [
    "x.safetensors", "sub/dir/x y.safetensors", "é/ünï cödé.safetensors", "a..b.safetensors", "..a.safetensors",
    "x.safetensors..", "100% style.safetensors", "a~b.safetensors", "a" * MAX_NAME_CHARS,
]


@pytest.mark.parametrize("name", REFUSED)
def test_refused_on_sight(name):
    with pytest.raises(InvalidName):
        validate_name(name)


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_names_pass_unchanged(name):
    assert validate_name(name) == name


def test_refusal_says_why():
    with pytest.raises(InvalidName, match="'..' path component"):
        validate_name("a/../b.safetensors")
    with pytest.raises(InvalidName, match="U\\+0000"):
        validate_name("a\x00b")


def test_only_listed_names_resolve(tmp_path):
    lib = make_route_library(tmp_path)
    (lib.loras / "sub").mkdir()
    (lib.loras / "sub" / "a.safetensors").write_bytes(b"x")
    (lib.loras / "notes.txt").write_bytes(b"x")  # not a model extension: ComfyUI does not list it
    assert resolve_listed(lib.folders, "loras", "sub/a.safetensors") == lib.loras / "sub" / "a.safetensors"
    assert resolve_listed(lib.folders, "loras", "notes.txt") is None
    assert resolve_listed(lib.folders, "loras", "a.safetensors") is None
    assert resolve_listed(lib.folders, "checkpoints", "sub/a.safetensors") is None


def test_file_symlink_leading_outside_is_refused(tmp_path):
    lib = make_route_library(tmp_path)
    (lib.outside / "secret.safetensors").write_bytes(b"x")
    (lib.loras / "escape.safetensors").symlink_to(lib.outside / "secret.safetensors")
    (lib.checkpoints / "model.safetensors").write_bytes(b"x")
    (lib.loras / "into_checkpoints.safetensors").symlink_to(lib.checkpoints / "model.safetensors")
    assert "escape.safetensors" in lib.folders.list_names("loras")  # ComfyUI lists it ...
    assert resolve_listed(lib.folders, "loras", "escape.safetensors") is None  # ... we do not open it
    assert resolve_listed(lib.folders, "loras", "into_checkpoints.safetensors") is None


def test_file_symlink_inside_the_folder_resolves(tmp_path):
    lib = make_route_library(tmp_path)
    (lib.loras / "real.safetensors").write_bytes(b"x")
    (lib.loras / "alias.safetensors").symlink_to(lib.loras / "real.safetensors")
    assert resolve_listed(lib.folders, "loras", "alias.safetensors") == lib.loras / "alias.safetensors"


def test_linked_root_folder_keeps_working(tmp_path):
    lib = make_route_library(tmp_path, linked_root=True)
    (lib.loras / "a.safetensors").write_bytes(b"x")
    assert lib.loras.is_symlink()
    assert resolve_listed(lib.folders, "loras", "a.safetensors") == lib.loras / "a.safetensors"


def test_linked_library_subfolder_keeps_working_but_not_links_out_of_it(tmp_path):
    lib = make_route_library(tmp_path)
    drive = tmp_path / "drive" / "library"
    drive.mkdir(parents=True)
    (drive / "b.safetensors").write_bytes(b"x")
    (lib.outside / "secret.safetensors").write_bytes(b"x")
    (drive / "escape.safetensors").symlink_to(lib.outside / "secret.safetensors")
    (lib.loras / "linked").symlink_to(drive, target_is_directory=True)
    assert resolve_listed(lib.folders, "loras", "linked/b.safetensors") == lib.loras / "linked" / "b.safetensors"
    assert resolve_listed(lib.folders, "loras", "linked/escape.safetensors") is None


def test_within_model_folders_needs_a_root_holding_the_path(tmp_path):
    lib = make_route_library(tmp_path)
    (lib.outside / "x.safetensors").write_bytes(b"x")
    assert not within_model_folders(lib.outside / "x.safetensors", [str(lib.loras)])
    assert not within_model_folders(os.path.join(lib.loras, "..", "..", "outside", "x.safetensors"), [str(lib.loras)])
