"""Library test helpers: tiny real LoRA files, a Library over temporary roots, scan-and-wait, table dumps."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from lora_weights_builder.modules.library import Library, store

from lwb_testkit.lora_factory import make_lora


def tiny_lora(path: Path, arch: str = "SD15", seed: int = 0, **options):
    """A real LoRA of a few hundred KB (3 modules)."""
    options.setdefault("max_modules", 3)
    return make_lora(path, arch=arch, seed=seed, **options)


def library(tmp_path: Path, *roots: Path, notify=None, background_energy: bool = False, **options) -> Library:
    """A Library over `roots`; its background energy pass only when asked (most tests are about scanning)."""
    return Library(tmp_path / "user" / "lwb" / "library.sqlite", lambda: [str(r) for r in roots], notify,
                   background_energy=background_energy, **options)


def scan(lib: Library):
    assert lib.start_scan()
    assert lib.wait(120)
    return lib.status()["last_scan"]


def rows(lib: Library) -> dict[str, dict]:
    """name -> search item, for every file of the index."""
    result = lib.search(store.parse_query({"page_size": "200"}))
    return {item["name"]: item for item in result["items"]}


def table(lib: Library) -> list[tuple]:
    with closing(lib.connect()) as conn:
        return [tuple(r) for r in conn.execute(
            "SELECT path, id, arch, size, mtime_ns, role, blocks FROM files ORDER BY path")]
