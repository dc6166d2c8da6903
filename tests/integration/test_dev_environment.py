"""The environment variables the README and ./dev document work end to end.

- LWB_HOST_DIR: where the host lives, for ./dev *and* the install script it runs (the script used to
  read only HOST_DIR, so ./dev and the installer disagreed).
- COMFYUI_DIR: an existing ComfyUI tree used instead of the bundled copy.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lwb_testkit import host

pytestmark = pytest.mark.comfy

REPO = Path(__file__).resolve().parents[2]


def test_install_script_uses_lwb_host_dir(tmp_path):
    """A host dir given by LWB_HOST_DIR that is up to date is used as is: no install into <repo>/.comfyhost."""
    real = host.HOST_DIR
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "venv").symlink_to(real / "venv", target_is_directory=True)
    shutil.copyfile(real / "installed.stamp", other / "installed.stamp")
    env = {k: v for k, v in os.environ.items() if k not in ("HOST_DIR", "COMFYUI_DIR")}
    env["LWB_HOST_DIR"] = str(other)
    proc = subprocess.run([str(REPO / "scripts" / "comfyhost" / "install.sh")], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"comfyhost {host.HOST_VERSION}: up to date in {other}"


def test_comfyui_dir_selects_the_tree(monkeypatch, tmp_path):
    monkeypatch.setenv("COMFYUI_DIR", str(tmp_path))
    assert host.comfy_dir() == tmp_path.resolve()
    monkeypatch.delenv("COMFYUI_DIR")
    assert host.comfy_dir() != tmp_path.resolve()
