"""Library search against a brute-force oracle: random filter / sort / offset combinations over a generated
library (real files, real scanner) give the same totals, pages and facet counts as a plain Python filter and
sort over every row read straight from the tables; and every kind of write is seen by the very next search.

The oracle is written from the search's documented contract (README / route docs), not from its code: text
words prefix-match a word of the name, model name, trigger words, sidecar tags, user tags or note; values
are exact (folder: and its subfolders); tags compare with ASCII letters folded (SQLite NOCASE); names sort
with ASCII letters folded, ties by path; entries without energy / use sort last in both orders.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import re
import shutil
import time
from collections import Counter
from contextlib import closing

import pytest
from lora_weights_builder.modules.library import store, usage
from lora_weights_builder.routes.library_routes import LibraryRoutes
from lwb_testkit.library_index import library, scan, tiny_lora
from lwb_testkit.route_app import make_route_library, routes_app

FOLDERS = ("", "characters", "characters/heroes", "Characters2", "styles", "styles/old", "poses", "misc/deep/er")
# Names whose order differs between "fold to lower case" (SQLite NOCASE) and "fold to upper case" or plain
# code points: '_' sorts before letters only when they are folded to lower case.
STEMS = ("aiko", "Aiko_b", "AikoB", "zed", "Z_x", "ZA", "bram", "Bram", "ember", "dusk", "fable", "kimono", "ranger")
TAGS = ("Warm", "warm", "sky", "Golden Hour", "golden hour", "wip", "client-a")
NOTE_WORDS = ("candlelight", "moody", "portrait", "neon", "crisp")
SORTS = ("name", "size", "modified", "family", "rank", "role", "indexed", "balance", "last_used", "use_count")
VALUE_FACETS = ("family", "arch", "layout", "role", "format", "category", "folder", "rank")
BOOL_FACETS = ("clip", "preview", "error", "favourite", "energy", "used")
COLUMN = {"format": "adapter"}


def nocase(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def make_files(root, rng: random.Random) -> None:
    made = []
    for i in range(34):
        folder = rng.choice(FOLDERS)
        name = f"{rng.choice(STEMS)}_{i:02d}.safetensors" if rng.random() < 0.8 else f"{rng.choice(STEMS)}.safetensors"
        path = root / folder / name
        if path.exists():
            continue
        arch = rng.choice(("SD15", "SDXL", "SDXL", "FLUX.1"))
        adapter = rng.choice(("lora", "lora", "loha")) if arch != "FLUX.1" else "lora"
        tiny_lora(path, arch=arch, seed=rng.randrange(4), rank=rng.choice((4, 8, 16)), adapter=adapter,
                  text_encoder=arch != "FLUX.1" and rng.random() < 0.5, max_modules=2)
        if rng.random() < 0.3:
            path.with_suffix(".png").write_bytes(b"\x89PNG not really")
        made.append(path)
    for n, path in enumerate(rng.sample(made, 6)):  # copies of one content under other names
        shutil.copyfile(path, path.with_name(f"copy{n}_{path.name}"))
    for n in range(2):  # unreadable files are listed too
        (root / "misc" / f"broken{n}.safetensors").parent.mkdir(parents=True, exist_ok=True)
        (root / "misc" / f"broken{n}.safetensors").write_bytes(b"not a safetensors file" * (n + 1))
    stamp = time.time_ns() - 10**12
    for n, path in enumerate(sorted(root.rglob("*.safetensors"))):  # equal times: ties broken by path
        os.utime(path, ns=(stamp + (n // 3) * 10**9, stamp + (n // 3) * 10**9))


def seed_user_data(lib, rng: random.Random) -> None:
    from lora_weights_builder.modules.library import user_data
    with closing(lib.connect()) as conn:
        ids = sorted({r[0] for r in conn.execute("SELECT id FROM files")})
        for cid in ids:
            changes = {}
            if rng.random() < 0.5:
                tags = rng.sample(TAGS, rng.randint(1, 3))
                changes["add_tags"] = list({t.casefold(): t for t in tags}.values())
            if rng.random() < 0.3:
                changes["favourite"] = True
            if rng.random() < 0.3:
                changes["note"] = " ".join(rng.sample(NOTE_WORDS, 2))
            if changes:
                user_data.update(conn, [cid], user_data.validate_changes(changes))
        used = rng.sample(ids, len(ids) // 3)
        usage.record_uses(conn, [i for i in used for _ in range(rng.choice((1, 1, 2, 5)))], now=1000.0)
        usage.record_uses(conn, used[:3], now=2000.0)
        conn.execute("BEGIN IMMEDIATE")
        for cid in rng.sample(ids, len(ids) // 2):
            stats = {"input_ratio": 0.3, "mid_ratio": 0.3, "output_ratio": 0.4, "balance": rng.choice((-0.5, 0.1, 0.7)),
                     "energy_distribution": {}, "block_norms": {}}
            conn.execute("INSERT INTO energy(id, status, stats, error, arch, computed_at) VALUES (?, 'done', ?, NULL, "
                         "'SDXL', 0)", (cid, json.dumps(stats)))
        conn.execute("COMMIT")


def table_rows(lib) -> list[dict]:
    """Every file with its user data, usage and energy, read straight from the tables."""
    with closing(lib.connect()) as conn:
        files = [dict(r) for r in conn.execute("SELECT * FROM files")]
        entries = {r["id"]: dict(r) for r in conn.execute("SELECT id, favourite, note FROM user_entries")}
        tags: dict[str, list[str]] = {}
        for r in conn.execute("SELECT id, tag FROM user_tags"):
            tags.setdefault(r["id"], []).append(r["tag"])
        used = {r["id"]: (r["use_count"], r["last_used"]) for r in conn.execute("SELECT * FROM usage")}
        energy = {r["id"]: json.loads(r["stats"])["balance"] for r in conn.execute(
            "SELECT id, stats FROM energy WHERE status = 'done'")}
    for f in files:
        entry = entries.get(f["id"], {})
        f["favourite"], f["note"] = bool(entry.get("favourite")), entry.get("note", "")
        f["user_tags"] = tags.get(f["id"], [])
        f["use_count"], f["last_used"] = used.get(f["id"], (None, None))
        f["balance"] = energy.get(f["id"])
        text = " ".join([f["name"], f["model_name"], f["trigger_words"], f["tags"], *f["user_tags"], f["note"]])
        f["words"] = re.findall(r"[^\W_]+", text.lower())
    return files


def values(text: str) -> list[str]:
    """A parameter's comma-separated values (blank ones dropped, as the route's documentation says)."""
    return [v.strip() for v in text.split(",") if v.strip()]


def passes(f: dict, params: dict, skip: str | None = None) -> bool:
    checks = {
        "q": lambda v: all(any(t.startswith(w.lower()) for t in f["words"]) for w in re.findall(r"\w+", v)),
        "folder": lambda v: any(f["folder"] == x.strip("/") or f["folder"].startswith(x.strip("/") + "/")
                                for x in values(v)),
        "tag": lambda v: (all if params.get("tag_mode") == "all" else any)(
            nocase(t) in {nocase(u) for u in f["user_tags"]} for t in values(v)),
        "clip": lambda v: (f["has_clip"] == 1) == (v == "true"),
        "preview": lambda v: (f["preview"] is not None) == (v == "true"),
        "error": lambda v: (f["error"] is not None) == (v == "true"),
        "favourite": lambda v: f["favourite"] == (v == "true"),
        "energy": lambda v: (f["balance"] is not None) == (v == "true"),
        "used": lambda v: (f["use_count"] is not None) == (v == "true"),
    }
    for name, value in params.items():
        if name == skip or (name in ("rank_min", "rank_max") and skip == "rank") or not values(value):
            continue  # a parameter without a value filters nothing
        if name in checks:
            ok = checks[name](value) if re.findall(r"\w+", value) or name != "q" else True
        elif name in ("family", "arch", "layout", "role", "format", "category"):
            ok = f[COLUMN.get(name, name)] in values(value)
        elif name == "rank_min":
            ok = f["rank"] is not None and f["rank"] >= int(value)
        elif name == "rank_max":
            ok = f["rank"] is not None and f["rank"] <= int(value)
        else:
            continue
        if not ok:
            return False
    return True


def oracle_order(files: list[dict], sort: str, descending: bool) -> list[dict]:
    by_name = lambda f: (nocase(f["name"]), f["path"])  # noqa: E731
    if sort in ("balance", "last_used", "use_count"):
        valued = sorted((f for f in files if f[sort] is not None), key=lambda f: (f[sort], *by_name(f)),
                        reverse=descending)
        return valued + sorted((f for f in files if f[sort] is None), key=by_name, reverse=descending)
    keys = {"name": by_name,
            "size": lambda f: (f["size"], f["path"]),
            "modified": lambda f: (f["mtime_ns"], f["path"]),
            "indexed": lambda f: (f["indexed_at"], f["path"]),
            "family": lambda f: (f["family"], *by_name(f)),
            "role": lambda f: (f["role"], *by_name(f)),
            "rank": lambda f: (f["rank"] is not None, f["rank"] or 0, *by_name(f))}
    return sorted(files, key=keys[sort], reverse=descending)


def oracle_facets(files: list[dict], params: dict) -> dict:
    out = {}
    for facet in VALUE_FACETS:
        counts = Counter(f[COLUMN.get(facet, facet)] for f in files if passes(f, params, skip=facet))
        values = sorted(counts, key=lambda v: (v is not None, v if v is not None else ""))
        out[facet] = [("" if v is None else str(v), counts[v]) for v in values]
    tags = Counter(nocase(t) for f in files if passes(f, params, skip="tag") for t in f["user_tags"])
    out["tag"] = sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))
    for facet in BOOL_FACETS:
        rows = [f for f in files if passes(f, params, skip=facet)]
        true = sum(passes(f, {facet: "true"}) for f in rows)
        out[facet] = [("true", true), ("false", len(rows) - true)]
    return out


def random_params(rng: random.Random, files: list[dict]) -> dict:
    words = sorted({w for f in files for w in f["words"] if len(w) > 2})
    choices = {
        "q": lambda: " ".join(rng.choice(words)[:rng.randint(1, 5)] for _ in range(rng.randint(1, 2))),
        "family": lambda: ",".join(rng.sample(["SDXL", "SD15", "FLUX.1", "unknown", "nope"], rng.randint(1, 2))),
        "arch": lambda: rng.choice(["SDXL", "SD15", "FLUX.1"]),
        "layout": lambda: rng.choice(sorted({f["layout"] for f in files if f["layout"]})),
        "role": lambda: ",".join(rng.sample(["character", "style", "pose", "other"], rng.randint(1, 2))),
        "format": lambda: rng.choice(["lora", "loha", "lora,loha"]),
        "category": lambda: rng.choice(sorted({f["category"] for f in files})),
        "folder": lambda: ",".join(rng.sample(["characters", "styles/", "misc/deep", "", "Characters2", "char"],
                                              rng.randint(1, 2))),
        "tag": lambda: ",".join(rng.sample(["warm", "WARM", "Sky", "golden hour", "wip", "none"], rng.randint(1, 2))),
        "tag_mode": lambda: rng.choice(["any", "all"]),
        "rank": None,
        **{b: (lambda: rng.choice(["true", "false"])) for b in BOOL_FACETS},
    }
    params: dict[str, str] = {}
    for name in rng.sample(sorted(choices), rng.randint(0, 5)):
        if name == "rank":
            low = rng.choice([0, 4, 8, 16])
            params.update(rank_min=str(low), rank_max=str(low * rng.choice([1, 2, 4]) + rng.choice([0, 3])))
        else:
            params[name] = choices[name]()
    return params


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oracle")
    rng = random.Random(13)
    make_files(tmp / "loras", rng)
    lib = library(tmp, tmp / "loras")
    scan(lib)
    seed_user_data(lib, rng)
    yield lib
    lib.stop()


def test_random_filters_sorts_and_offsets_match_a_brute_force_filter_and_sort(generated):
    lib, rng = generated, random.Random(5)
    files = table_rows(lib)
    assert len({f["id"] for f in files}) < len(files)  # copies share a content (and its user data)
    for _ in range(300):
        params = random_params(rng, files)
        sort, order = rng.choice(SORTS), rng.choice(["asc", "desc"])
        size = rng.randint(1, 8)
        expected = oracle_order([f for f in files if passes(f, params)], sort, order == "desc")
        offset = rng.randint(0, len(expected) + 2)
        got = lib.search(store.parse_query({**params, "sort": sort, "order": order, "page_size": str(size),
                                            "offset": str(offset), "facets": "true"}))
        context = (params, sort, order, offset, size)
        assert got["total"] == len(expected), context
        assert [i["name"] for i in got["items"]] == [f["name"] for f in expected[offset:offset + size]], context
        facets = {k: list(v.items()) for k, v in got["facets"]["facets"].items()}
        facets["tag"] = [(nocase(t), n) for t, n in facets["tag"]]
        assert facets == oracle_facets(files, params), context
        assert got["facets"]["total"] == len(expected)


def test_whole_pages_in_every_sort_list_every_file_once_in_the_oracles_order(generated):
    files = table_rows(generated)
    for sort in SORTS:
        for order in ("asc", "desc"):
            names = []
            for page in range(1, 100):
                items = generated.search(store.parse_query({"sort": sort, "order": order, "page": str(page),
                                                            "page_size": "7"}))["items"]
                if not items:
                    break
                names += [i["name"] for i in items]
            assert names == [f["name"] for f in oracle_order(files, sort, order == "desc")], (sort, order)


@pytest.fixture
async def client(aiohttp_client, tmp_path):
    lib = make_route_library(tmp_path)
    for n, stem in enumerate(("aiko", "bram", "cora", "dusk")):
        tiny_lora(lib.loras / "styles" / f"{stem}.safetensors", arch="SDXL", seed=n, rank=4 * (n + 1), max_modules=2)
    folders = dataclasses.replace(lib.folders, user_dir=lambda: str(tmp_path / "user"))
    group = LibraryRoutes(folders)
    group.library.energy_backlog.pause()
    client = await aiohttp_client(routes_app(group))
    client.group, client.loras = group, lib.loras
    assert (await client.post("/mad-nodes/library/rescan")).status == 202
    assert await asyncio.to_thread(group.library.wait, 120)
    return client


async def _search(client, **params):
    resp = await client.get("/mad-nodes/library/search", params={"page_size": "50", "facets": "true", **params})
    assert resp.status == 200
    return await resp.json()


async def test_every_kind_of_write_is_seen_by_the_very_next_search(client):
    first = await _search(client, sort="use_count", order="desc")
    ids = {i["name"]: i["id"] for i in first["items"]}
    assert first["facets"]["facets"]["favourite"] == {"true": 0, "false": 4}
    cid = ids["styles/bram.safetensors"]

    assert (await client.patch(f"/mad-nodes/library/entry/{cid}/user", json={"favourite": True})).status == 200
    assert [i["name"] for i in (await _search(client, favourite="true"))["items"]] == ["styles/bram.safetensors"]
    bulk = await client.post("/mad-nodes/library/user/bulk", json={"ids": [ids["styles/aiko.safetensors"], cid],
                                                                   "add_tags": ["Dusk light"]})
    assert bulk.status == 200
    tagged = await _search(client, tag="dusk light")
    assert tagged["total"] == 2 and tagged["facets"]["facets"]["tag"] == {"Dusk light": 2}
    await client.patch(f"/mad-nodes/library/entry/{cid}/user", json={"note": "lantern glow"})
    assert [i["name"] for i in (await _search(client, q="lantern"))["items"]] == ["styles/bram.safetensors"]

    with closing(client.group.library.connect()) as conn:  # the nodes record usage on their own connection
        usage.record_uses(conn, [ids["styles/bram.safetensors"]] * 3)
    assert (await _search(client, sort="use_count", order="desc"))["items"][0]["name"] == "styles/bram.safetensors"
    energy = await client.get(f"/mad-nodes/library/entry/{ids['styles/cora.safetensors']}/energy")
    assert energy.status == 200
    assert [i["name"] for i in (await _search(client, energy="true"))["items"]] == ["styles/cora.safetensors"]

    tiny_lora(client.loras / "styles" / "ember.safetensors", arch="SD15", seed=9, max_modules=2)
    (client.loras / "styles" / "aiko.safetensors").unlink()
    assert (await client.post("/mad-nodes/library/rescan")).status == 202
    assert await asyncio.to_thread(client.group.library.wait, 120)
    after = await _search(client)
    assert [i["name"] for i in after["items"]] == ["styles/bram.safetensors", "styles/cora.safetensors",
                                                   "styles/dusk.safetensors", "styles/ember.safetensors"]
    assert after["facets"]["facets"]["family"] == {"SD15": 1, "SDXL": 3}
    assert after["facets"]["facets"]["tag"] == {"Dusk light": 1}


def test_a_database_deleted_while_running_is_searched_afresh(tmp_path):
    root = tmp_path / "loras"
    for n in range(3):
        tiny_lora(root / f"m{n}.safetensors", seed=n)
    lib = library(tmp_path, root)
    scan(lib)
    cid = lib.search(store.parse_query({}))["items"][0]["id"]
    with closing(lib.connect()) as conn:
        from lora_weights_builder.modules.library import user_data
        user_data.update(conn, [cid], {"favourite": True})
    assert lib.search(store.parse_query({"favourite": "true"}))["total"] == 1
    for suffix in ("", "-wal", "-shm"):  # the user deletes the database to rebuild it
        (lib.db_path.parent / (lib.db_path.name + suffix)).unlink(missing_ok=True)
    scan(lib)
    assert lib.search(store.parse_query({}))["total"] == 3
    assert lib.search(store.parse_query({"favourite": "true"}))["total"] == 0
    lib.stop()
