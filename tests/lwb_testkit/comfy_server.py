"""Boot a real ComfyUI server process with this pack loaded, on a free 127.0.0.1 port.

Everything the server writes lives under a temporary `--base-directory`; `loras` and `checkpoints`
point at folders the caller owns, through an extra-model-paths YAML. The pack is linked into
`<base>/custom_nodes/` under a folder name with dashes (not a Python identifier), as users clone it, so the tests
also prove the pack does not depend on its folder name.
"""

import json
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .host import comfy_dir, host_python
from .pack import PACK_ROOT

log = logging.getLogger(__name__)

PACK_FOLDER_NAME = "ComfyUI-LoRA-Weights-Builder"
BOOT_TIMEOUT_S = 180


def nodes_2_enabled() -> bool:
    """Whether the browser tests run the frontend's Nodes 2.0 renderer (LWB_NODES_2=1) or the classic canvas."""
    return os.environ.get("LWB_NODES_2", "0") == "1"


def frontend_settings() -> dict:
    """The user's comfy.settings.json: first-run screens off, renderer as chosen.

    `Comfy.TutorialCompleted` skips the first-run template browser (1.58.1 opens it otherwise) and the
    tutorial; `Comfy.VueNodes.Enabled` is the frontend's "Modern Node Design (Nodes 2.0)" switch (1.27.1+).
    """
    return {"Comfy.TutorialCompleted": True, "Comfy.VueNodes.Enabled": nodes_2_enabled()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ComfyServer:
    base_dir: Path
    loras_dir: Path
    checkpoints_dir: Path
    port: int = field(default_factory=free_port)
    frontend: bool = True
    extra_args: tuple[str, ...] = ()
    extra_node_packs: tuple[Path, ...] = ()  # test-only node packs linked beside the pack
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        """Create the base folders, the settings that skip the first-run dialogs, the YAML and the pack link."""
        for sub in ("custom_nodes", "input", "output", "temp", "user/default"):
            (self.base_dir / sub).mkdir(parents=True, exist_ok=True)
        self.loras_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoints_dir.mkdir(parents=True, exist_ok=True)
        settings = self.base_dir / "user" / "default" / "comfy.settings.json"
        if not settings.exists():
            settings.write_text(json.dumps(frontend_settings()))
        link = self.base_dir / "custom_nodes" / PACK_FOLDER_NAME
        if not link.exists():
            link.symlink_to(PACK_ROOT, target_is_directory=True)
        for pack in self.extra_node_packs:
            extra = self.base_dir / "custom_nodes" / f"lwb_test_{Path(pack).name}"
            if not extra.exists():
                extra.symlink_to(Path(pack).resolve(), target_is_directory=True)
        self.yaml_path.write_text(
            "lwb_test:\n"
            "    is_default: true\n"
            f"    loras: {self.loras_dir}\n"
            f"    checkpoints: {self.checkpoints_dir}\n"
        )

    @property
    def yaml_path(self) -> Path:
        return self.base_dir / "extra_model_paths.lwb.yaml"

    def command(self) -> list[str]:
        cmd = [
            str(host_python()), str(comfy_dir() / "main.py"), "--cpu", "--listen", "127.0.0.1",
            "--port", str(self.port), "--base-directory", str(self.base_dir), "--disable-auto-launch",
            "--database-url", "sqlite:///:memory:", "--disable-api-nodes",
            "--extra-model-paths-config", str(self.yaml_path),
        ]
        if not self.frontend:
            empty = self.base_dir / "empty_frontend"
            empty.mkdir(exist_ok=True)
            cmd += ["--front-end-root", str(empty)]
        return cmd + list(self.extra_args)

    def start(self) -> "ComfyServer":
        self.prepare()
        self.log_path = self.base_dir / "comfyui.log"
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT, cwd=str(self.base_dir),
                start_new_session=True,
            )
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ComfyUI exited with {self.process.returncode} during boot:\n{self.log_tail()}")
            try:
                self.get_json("/system_stats", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"ComfyUI did not answer within {BOOT_TIMEOUT_S}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self) -> None:
        """Terminate the server's whole process group by PID, then kill it if it lingers."""
        if not self.process or self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def request(self, path: str, data: bytes | None = None, method: str | None = None,
                headers: dict | None = None, timeout: float = 30):
        """Open `path` on the server; returns (status, headers, body bytes), HTTP errors included."""
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def get_json(self, path: str, timeout: float = 30):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as resp:
            return json.load(resp)

    def wait_for_library_scan(self, timeout: float = 300, poll: float = 0.5) -> dict:
        """The pack's library status once no scan runs and the last one completed (polled, up to `timeout` s)."""
        deadline = time.monotonic() + timeout
        status: dict = {}
        while time.monotonic() < deadline:
            status = self.get_json("/mad-nodes/library/status", timeout=60)
            if not status["scanning"] and (status.get("last_scan") or {}).get("complete"):
                return status
            time.sleep(poll)
        raise TimeoutError(f"the library scan did not finish within {timeout}s: {status}")
