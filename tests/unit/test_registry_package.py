"""Ready for the Comfy Registry: the package built from the repo holds the web extension and the example
workflows and nothing from tests/; pyproject.toml's [tool.comfy] is complete; requirements.txt and the
pack's version agree with pyproject.toml."""

import ast
import re
import sys
from pathlib import Path

import pytest
import tomllib
from lora_weights_builder.modules import version
from lwb_testkit.pack import PACK_ROOT
from lwb_testkit.registry_package import ignored, package_files

PYPROJECT = tomllib.loads((PACK_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def files() -> set[str]:
    if not (PACK_ROOT / ".git").exists():
        pytest.skip("not a git checkout: the package is built from git-tracked files")
    return package_files(PACK_ROOT)


def test_package_holds_the_extension_the_workflows_and_the_registry_files(files):
    on_disk = {p.relative_to(PACK_ROOT).as_posix() for folder in ("web", "example_workflows")
               for p in (PACK_ROOT / folder).rglob("*") if p.is_file()}
    assert on_disk and on_disk <= files
    assert any(f.startswith("example_workflows/") and f.endswith(".json") for f in files)
    for required in ("__init__.py", "pyproject.toml", "requirements.txt", "README.md", "CHANGELOG.md",
                     "web/lora_weights_builder.js", "nodes/registry.py", "routes/registry.py"):
        assert required in files, required


def test_package_holds_nothing_for_development_only(files):
    assert not [f for f in files if f.startswith(("tests/", "bench/", ".ci/", "scripts/"))]
    assert "dev" not in files


def test_every_python_file_the_pack_imports_is_packed(files):
    """Each relative import of a packed module names a module that is packed too."""
    for rel in sorted(f for f in files if f.endswith(".py")):
        tree = ast.parse((PACK_ROOT / rel).read_text(encoding="utf-8"))
        package = Path(rel).parent
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.parent
                target = base.joinpath(*(node.module or "").split(".")) if node.module else base
                candidates = {f"{target.as_posix()}.py", f"{target.as_posix()}/__init__.py"}
                if node.module is None:
                    candidates = {f"{(base / a.name).as_posix()}.py" for a in node.names} | \
                        {f"{(base / a.name).as_posix()}/__init__.py" for a in node.names}
                assert candidates & files, f"{rel}: imports {'.' * node.level}{node.module or ''} (not packed)"


def test_comfyignore_rules():
    patterns = ["tests/", "/dev", "*.log"]
    assert ignored("tests/unit/test_x.py", patterns)
    assert ignored("a/tests/x.py", patterns)          # an unanchored folder anywhere
    assert not ignored("tests", patterns)              # a file named like the folder is not a folder
    assert ignored("dev", patterns) and not ignored("web/dev", patterns)
    assert ignored("web/x.log", patterns) and not ignored("web/lora_weights_builder.js", patterns)


def test_tool_comfy_is_complete():
    comfy = PYPROJECT["tool"]["comfy"]
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", comfy["PublisherId"])
    assert comfy["DisplayName"] == version.PACK_NAME
    assert comfy["Icon"].startswith("https://") and comfy["Icon"].endswith((".svg", ".png", ".jpg", ".gif"))
    assert (PACK_ROOT / "docs" / Path(comfy["Icon"]).name).is_file()
    assert set(comfy["includes"]) >= {"web", "example_workflows"}
    assert PYPROJECT["project"]["urls"]["Repository"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", PYPROJECT["project"]["version"])


def requirement_names(lines) -> set[str]:
    names = set()
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            names.add(re.split(r"[<>=!~\[; ]", line)[0].lower())
    return names


def test_requirements_txt_lists_the_runtime_dependencies():
    listed = requirement_names((PACK_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    assert listed == requirement_names(PYPROJECT["project"]["dependencies"])


def test_every_third_party_import_of_the_pack_is_a_declared_dependency_or_comfyui():
    declared = requirement_names(PYPROJECT["project"]["dependencies"])
    comfyui = {"comfy", "comfy_api", "comfy_extras", "folder_paths", "server", "nodes", "node_helpers", "app"}
    found = {}
    for path in [PACK_ROOT / "__init__.py", *(p for d in ("modules", "nodes", "routes")
                                               for p in (PACK_ROOT / d).rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for name in names:
                found.setdefault(name.split(".")[0], path.relative_to(PACK_ROOT).as_posix())
    distribution = {"PIL": "pillow"}  # import names that differ from the package's name
    undeclared = {m: where for m, where in found.items()
                  if m not in sys.stdlib_module_names and distribution.get(m, m).lower() not in declared
                  and m not in comfyui}
    assert undeclared == {}


def test_one_version_everywhere():
    assert PYPROJECT["project"]["version"] == version.PACK_VERSION
    web_entry = (PACK_ROOT / "web" / "lora_weights_builder.js").read_text(encoding="utf-8")
    assert re.search(r'export const PACK_VERSION = "([^"]+)"', web_entry).group(1) == version.PACK_VERSION
    assert f"## [{version.PACK_VERSION}]" in (PACK_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_version_reader_takes_the_project_table_only():
    text = '[tool.x]\nversion = "9.9.9"\n[project]\nname = "x"\nversion = "1.2.3"  # note\n[tool.y]\nversion = "0"\n'
    assert version.project_version(text) == tomllib.loads(text)["project"]["version"]
    with pytest.raises(ValueError, match=r"no version in the \[project\] table"):
        version.project_version('[tool.x]\nversion = "1.0.0"\n')


LINUX_ONLY = re.compile(r"inotify|/proc/|\bos\.fork\b|\bfork\(|\bkillpg\b|\bsetsid\b|\bgetpgid\b|\bfcntl\b"
                        r"|\bimport (pwd|grp|resource|termios)\b|\bos\.(getuid|geteuid|uname)\b"
                        r"|\bsignal\.SIG(KILL|HUP|USR)")


def test_the_package_makes_no_linux_only_call(files):
    """Windows portable users run the packed files: none may lean on Linux (tests and benchmarks may)."""
    hits = [f"{rel}:{n}: {line.strip()}" for rel in sorted(files) if rel.endswith((".py", ".js", ".mjs"))
            for n, line in enumerate((PACK_ROOT / rel).read_text(encoding="utf-8").splitlines(), 1)
            if LINUX_ONLY.search(line)]
    assert hits == []
