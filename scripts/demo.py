"""`./dev demo`: generate a demo LoRA library and run ComfyUI with this pack on http://127.0.0.1:8188.

Everything lives in `<repo>/.demo/` (git-ignored): the ComfyUI base directory, the demo `loras` and
`checkpoints` folders. The library is generated once; delete `.demo/` to start over. ComfyUI runs in
the foreground; Ctrl-C stops it.
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from lwb_testkit.comfy_server import PACK_FOLDER_NAME, ComfyServer  # noqa: E402
from lwb_testkit.demo_library import DEMO_WORKFLOW, demo_url, make_demo_library  # noqa: E402

EXAMPLE_WORKFLOWS = REPO / "example_workflows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8188)
    parser.add_argument("--demo-dir", type=Path, default=REPO / ".demo")
    args = parser.parse_args()

    demo = args.demo_dir.resolve()
    server = ComfyServer(base_dir=demo / "base", loras_dir=demo / "models" / "loras",
                         checkpoints_dir=demo / "models" / "checkpoints", port=args.port)
    server.prepare()
    stamp = demo / "library.stamp"
    if not stamp.exists():
        written = make_demo_library(server.loras_dir)
        stamp.write_text(json.dumps({"files": len(written)}))
        print(f"demo: wrote {len(written)} LoRAs into {server.loras_dir}")
    workflows = server.base_dir / "user" / "default" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    for wf in sorted(EXAMPLE_WORKFLOWS.glob("*.json")):
        shutil.copyfile(wf, workflows / wf.name)
    names = ", ".join(p.name for p in EXAMPLE_WORKFLOWS.glob("*.json"))
    print(f"demo: ComfyUI with LoRA Weights Builder on {server.url} (Ctrl-C stops it)")
    print(f"demo: example workflows in the Workflows sidebar: {names}")
    print(f"demo: open {demo_url(server.url, PACK_FOLDER_NAME)}")
    print(f"demo:   (it opens the example workflow {DEMO_WORKFLOW}.json; ComfyUI's own start-up errors about")
    print("demo:    optional extras such as torchaudio, kornia or spandrel are expected and harmless)")
    cmd = server.command()
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
