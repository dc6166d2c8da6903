"""docs/DEVELOPING.md is true: every `python` block in it runs, and every path its tables name exists."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "DEVELOPING.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)
PATHS = sorted(set(re.findall(r"`((?:modules|nodes|routes|web|tests|scripts|bench)/[\w/.]*)`", DOC)))


def test_the_doc_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("n", range(len(BLOCKS)))
def test_import_example_runs(n):
    exec(compile(BLOCKS[n], f"DEVELOPING.md python block {n + 1}", "exec"), {})


@pytest.mark.parametrize("path", PATHS)
def test_named_paths_exist(path):
    assert (ROOT / path.rstrip("/")).exists(), f"DEVELOPING.md names {path}, which does not exist"
