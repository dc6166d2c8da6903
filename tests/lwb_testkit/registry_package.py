"""The files of the pack's Comfy Registry package, by comfy-cli's rule for `comfy node pack` / `publish`:
the git-tracked files, minus what `.comfyignore` matches (gitignore syntax), plus every file under the
folders `[tool.comfy] includes` names (force-included even when ignored)."""

import fnmatch
import subprocess
from pathlib import Path

import tomllib


def ignore_patterns(repo: Path) -> list[str]:
    path = repo / ".comfyignore"
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def ignored(rel_path: str, patterns: list[str]) -> bool:
    """The subset of gitignore matching the pack's .comfyignore uses: `dir/` (a folder anywhere, or anchored
    with a leading `/`), and names or globs matched against the path and against its last part."""
    parts = rel_path.split("/")
    for pattern in patterns:
        anchored = pattern.startswith("/")
        pattern = pattern.lstrip("/")
        if pattern.endswith("/"):
            folder = pattern.rstrip("/")
            folders = parts[:1] if anchored else parts[:-1]
            if any(fnmatch.fnmatchcase(p, folder) for p in folders):
                return True
        elif fnmatch.fnmatchcase(rel_path, pattern) or (not anchored and fnmatch.fnmatchcase(parts[-1], pattern)):
            return True
    return False


def comfy_includes(repo: Path) -> list[str]:
    with open(repo / "pyproject.toml", "rb") as f:
        return list(tomllib.load(f).get("tool", {}).get("comfy", {}).get("includes", []))


def package_files(repo: Path) -> set[str]:
    tracked = subprocess.run(["git", "-C", str(repo), "ls-files"], capture_output=True, text=True, check=True)
    patterns = ignore_patterns(repo)
    files = {p for p in tracked.stdout.splitlines() if p and not ignored(p, patterns)}
    for folder in comfy_includes(repo):
        root = repo / folder.strip("/")
        files |= {p.relative_to(repo).as_posix() for p in root.rglob("*") if p.is_file()
                  and "__pycache__" not in p.parts and "node_modules" not in p.parts}
    return files
