"""Library workspace routes on a bare aiohttp app: user tags, favourites and notes by content id, facet
counts, the new filters and sorts, offset paging, usage. Expected values come from the files the tests
write (their folders, architectures and ranks), never from the search code."""

import asyncio
import dataclasses
from collections import Counter
from contextlib import closing

import pytest
from lora_weights_builder.modules.library import usage
from lora_weights_builder.routes.library_routes import LibraryRoutes
from lwb_testkit.library_index import tiny_lora
from lwb_testkit.route_app import make_route_library, routes_app

# (name, arch, rank): folders give roles; SDXL and SD15 give families.
FILES = [
    ("characters/aiko_sdxl.safetensors", "SDXL", 4),
    ("characters/bram_sd15.safetensors", "SD15", 8),
    ("characters/heroes/cora_sdxl.safetensors", "SDXL", 16),
    ("styles/dusk_sdxl.safetensors", "SDXL", 8),
    ("styles/ember_sd15.safetensors", "SD15", 4),
    ("fable_sd15.safetensors", "SD15", 16),
]
FAMILY = {"SDXL": "SDXL", "SD15": "SD15"}


@pytest.fixture
def lib(tmp_path):
    lib = make_route_library(tmp_path)
    for seed, (name, arch, rank) in enumerate(FILES):
        tiny_lora(lib.loras / name, arch=arch, seed=seed, rank=rank, max_modules=2)
    return lib


@pytest.fixture
async def client(aiohttp_client, lib, tmp_path):
    folders = dataclasses.replace(lib.folders, user_dir=lambda: str(tmp_path / "user"))
    group = LibraryRoutes(folders)
    group.library.energy_backlog.pause()  # energy only where a test asks for it (no background pass)
    client = await aiohttp_client(routes_app(group))
    client.group = group
    await _rescan(client)
    return client


async def _rescan(client):
    assert (await client.post("/mad-nodes/library/rescan")).status == 202
    assert await asyncio.to_thread(client.group.library.wait, 120)


async def _search(client, **params):
    resp = await client.get("/mad-nodes/library/search", params={"page_size": "200", **params})
    body = await resp.json()
    assert resp.status == 200, body
    return body


async def _ids(client) -> dict[str, str]:
    return {i["name"]: i["id"] for i in (await _search(client))["items"]}


async def _patch(client, cid, body, status=200):
    resp = await client.patch(f"/mad-nodes/library/entry/{cid}/user", json=body)
    answer = await resp.json()
    assert resp.status == status, answer
    return answer


async def test_user_data_follows_a_moved_file_and_is_never_written_beside_the_models(client, lib):
    ids = await _ids(client)
    cid = ids["styles/dusk_sdxl.safetensors"]
    user = await _patch(client, cid, {"favourite": True, "note": "<b>dusk</b> = warm", "add_tags": ["Warm", "sky"]})
    assert (user["favourite"], user["note"], user["tags"]) == (True, "<b>dusk</b> = warm", ["Warm", "sky"])
    (lib.loras / "archive").mkdir()
    (lib.loras / "styles/dusk_sdxl.safetensors").rename(lib.loras / "archive/dusk_renamed.safetensors")
    await _rescan(client)
    found = await _search(client, tag="warm")
    assert [(i["name"], i["favourite"], i["user_tags"], i["note"]) for i in found["items"]] == [
        ("archive/dusk_renamed.safetensors", True, ["Warm", "sky"], "<b>dusk</b> = warm")]
    entry = await (await client.get(f"/mad-nodes/library/entry/{cid}")).json()
    assert entry["names"] == ["archive/dusk_renamed.safetensors"] and entry["user_tags"] == ["Warm", "sky"]
    written = {p.name for p in lib.loras.rglob("*") if p.is_file()}
    assert written == {n.rsplit("/", 1)[-1] for n, _, _ in FILES if "dusk" not in n} | {"dusk_renamed.safetensors"}


async def test_two_tabs_editing_at_once_never_lose_a_write(client):
    cid = (await _ids(client))["fable_sd15.safetensors"]
    await asyncio.gather(_patch(client, cid, {"favourite": True}), _patch(client, cid, {"note": "tab two"}),
                         _patch(client, cid, {"add_tags": ["from-a"]}), _patch(client, cid, {"add_tags": ["from-b"]}))
    user = await (await client.get(f"/mad-nodes/library/entry/{cid}/user")).json()
    assert user["favourite"] is True and user["note"] == "tab two"
    assert sorted(user["tags"]) == ["from-a", "from-b"]
    assert None not in (user["favourite_updated_at"], user["note_updated_at"], user["tags_updated_at"])
    before = user["note_updated_at"]
    later = await _patch(client, cid, {"note": "last write"})
    assert later["note"] == "last write" and later["note_updated_at"] >= before and later["favourite"] is True


async def test_bad_user_input_is_refused_naming_the_field_and_writes_nothing(client):
    ids = await _ids(client)
    cid = ids["fable_sd15.safetensors"]
    bad = await _patch(client, cid, {"add_tags": ["ok", "a,b", "x" * 65], "note": "n" * 4001, "favourite": "yes",
                                     "colour": 1}, status=400)
    for part in ("add_tags[1]: must not contain a comma", "add_tags[2]: 65 characters, at most 64",
                 "note: 4001 characters, at most 4000", "favourite: expected true or false", "unknown field 'colour'"):
        assert part in bad["error"]
    assert (await _patch(client, cid, {"tags": ["bell\x07inside"]}, status=400))["problems"] == [
        "tags[0]: contains control characters"]
    missing = await _patch(client, "0" * 32, {"favourite": True}, status=404)
    assert "0" * 32 in missing["error"] and missing["error"].startswith("ids:")
    resp = await client.post("/mad-nodes/library/user/bulk", json={"ids": [cid, "f" * 32], "add_tags": ["t"]})
    assert resp.status == 404 and (await resp.json())["unknown_ids"] == ["f" * 32]
    user = await (await client.get(f"/mad-nodes/library/entry/{cid}/user")).json()
    assert (user["tags"], user["favourite"], user["note"]) == ([], False, "")  # nothing was written
    assert (await client.get("/mad-nodes/library/entry/zz/user")).status == 404
    assert (await client.post("/mad-nodes/library/user/bulk", json={"ids": []})).status == 400


async def test_bulk_tags_filter_by_tag_and_find_tags_and_notes_by_words(client):
    ids = await _ids(client)
    chosen = [ids[n] for n, _, _ in FILES if "sdxl" in n]
    resp = await client.post("/mad-nodes/library/user/bulk", json={"ids": chosen, "add_tags": ["Golden Hour"]})
    assert resp.status == 200 and (await resp.json())["updated"] == 3
    await _patch(client, ids["fable_sd15.safetensors"], {"add_tags": ["golden hour", "moody"],
                                                         "note": "works with candlelight"})
    tagged = await _search(client, tag="GOLDEN HOUR")
    assert sorted(i["name"] for i in tagged["items"]) == sorted([n for n, _, _ in FILES if "sdxl" in n]
                                                                + ["fable_sd15.safetensors"])
    both = await _search(client, tag="golden hour,moody", tag_mode="all")
    assert [i["name"] for i in both["items"]] == ["fable_sd15.safetensors"]
    assert [i["name"] for i in (await _search(client, q="candle"))["items"]] == ["fable_sd15.safetensors"]
    words = await _search(client, q="golden aiko")  # one word from a user tag, one from the file name
    assert [i["name"] for i in words["items"]] == ["characters/aiko_sdxl.safetensors"]
    tags = await (await client.get("/mad-nodes/library/tags")).json()
    assert tags["tags"] == [{"tag": "Golden Hour", "count": 4}, {"tag": "moody", "count": 1}]
    removed = await client.post("/mad-nodes/library/user/bulk", json={"ids": chosen, "remove_tags": ["golden hour"]})
    assert removed.status == 200
    assert [i["name"] for i in (await _search(client, tag="Golden Hour"))["items"]] == ["fable_sd15.safetensors"]


async def test_facet_counts_apply_every_other_filter_and_match_what_a_click_shows(client):
    ids = await _ids(client)
    await _patch(client, ids["characters/aiko_sdxl.safetensors"], {"favourite": True, "add_tags": ["best"]})
    await _patch(client, ids["styles/ember_sd15.safetensors"], {"favourite": True})
    params = {"family": "SDXL", "folder": "characters"}
    body = await _search(client, facets="true", **params)
    facets = body["facets"]["facets"]
    sdxl = [f for f in FILES if f[1] == "SDXL"]
    in_characters = [f for f in FILES if f[0].startswith("characters/")]
    assert body["total"] == len([f for f in sdxl if f in in_characters]) == 2  # the folder's subfolders included
    assert facets["family"] == dict(Counter(FAMILY[a] for _, a, _ in in_characters))
    assert facets["folder"] == dict(Counter(n.rpartition("/")[0] for n, _, _ in sdxl))
    assert facets["favourite"] == {"true": 1, "false": 1} and facets["tag"] == {"best": 1}
    for facet, counts in facets.items():  # every count is what adding that value to the filters gives
        if facet in ("family", "folder"):
            continue
        for value, count in counts.items():
            if facet in ("clip", "preview", "error", "favourite", "energy", "used"):
                extra = {facet: value}
            elif facet == "rank":
                extra = {"rank_min": value, "rank_max": value}
            elif facet == "tag":
                extra = {"tag": value}
            elif facet == "format":
                extra = {"format": value}
            else:
                extra = {facet: value}
            if value == "" or count == 0:
                continue
            assert (await _search(client, **params, **extra))["total"] == count, (facet, value)
    alone = await (await client.get("/mad-nodes/library/facets", params=params)).json()
    assert alone["facets"] == facets and alone["total"] == 2


async def test_rank_range_offset_pages_and_sorts_by_usage_and_energy(client, tmp_path):
    ranks = await _search(client, rank_min="5", rank_max="16", sort="rank")
    assert [i["rank"] for i in ranks["items"]] == sorted(r for _, _, r in FILES if 5 <= r <= 16)
    full = [i["name"] for i in (await _search(client, sort="size", order="desc"))["items"]]
    pages = []
    for offset in range(0, len(FILES), 4):
        pages += [i["name"] for i in (await _search(client, sort="size", order="desc", offset=str(offset),
                                                    page_size="4"))["items"]]
    assert pages == full
    ids = await _ids(client)
    with closing(client.group.library.connect()) as conn:
        usage.record_uses(conn, [ids["styles/ember_sd15.safetensors"]] * 3, now=1000.0)
        usage.record_uses(conn, [ids["fable_sd15.safetensors"]], now=2000.0)
    recent = [(i["name"], i["use_count"], i["last_used"])
              for i in (await _search(client, sort="last_used", order="desc"))["items"]]
    assert recent[:2] == [("fable_sd15.safetensors", 1, 2000.0), ("styles/ember_sd15.safetensors", 3, 1000.0)]
    assert all(n == 0 and t is None for _, n, t in recent[2:])
    oldest_first = [i["name"] for i in (await _search(client, sort="last_used"))["items"]]
    assert oldest_first[:2] == ["styles/ember_sd15.safetensors", "fable_sd15.safetensors"]  # never used: last
    most = [i["name"] for i in (await _search(client, sort="use_count", order="desc"))["items"]]
    assert most[0] == "styles/ember_sd15.safetensors"
    balances = {}
    for name in ("characters/bram_sd15.safetensors", "styles/dusk_sdxl.safetensors"):
        energy = await (await client.get(f"/mad-nodes/library/entry/{ids[name]}/energy")).json()
        balances[name] = energy["stats"]["balance"]
    by_balance = (await _search(client, sort="balance"))["items"]
    assert [i["name"] for i in by_balance[:2]] == sorted(balances, key=balances.get)
    assert by_balance[0]["energy"]["balance"] == min(balances.values()) and by_balance[2]["energy"] is None
    assert [i["name"] for i in (await _search(client, sort="balance", order="desc"))["items"][:2]] == sorted(
        balances, key=balances.get, reverse=True)
    assert (await _search(client, energy="true"))["total"] == 2
    assert (await _search(client, used="true"))["total"] == 2


async def test_bad_search_parameters_name_the_parameter(client):
    resp = await client.get("/mad-nodes/library/search", params={"rank_min": "9", "rank_max": "2", "tag_mode": "x",
                                                                  "favourite": "maybe", "page": "2", "offset": "3"})
    error = (await resp.json())["error"]
    assert resp.status == 400
    for part in ("rank_min=9 is above rank_max=2", "tag_mode='x'", "favourite='maybe'", "page and offset"):
        assert part in error


def test_usage_identifies_an_unindexed_file_like_the_scanner(tmp_path, lib):
    from lora_weights_builder.modules.library import Library
    from lwb_testkit.library_index import scan

    library = Library(tmp_path / "db" / "library.sqlite", lambda: [str(lib.loras)])
    with closing(library.connect()) as conn:
        before = {n: usage.id_of_file(conn, str(lib.loras / n)) for n, _, _ in FILES}
    scan(library)
    with closing(library.connect()) as conn:
        indexed = {r["name"]: r["id"] for r in conn.execute("SELECT name, id FROM files")}
        assert before == indexed
        assert usage.record_paths(conn, [str(lib.loras / FILES[0][0]), str(tmp_path / "gone.safetensors")]) == 1
        assert conn.execute("SELECT use_count FROM usage WHERE id = ?", (indexed[FILES[0][0]],)).fetchone()[0] == 1


async def test_usage_and_energy_sorts_follow_moves_and_match_a_brute_force_order(client, lib):
    """The sort keys copied onto the files (schema v6) agree with the usage and energy tables at every offset,
    also after a used file is moved (a new row) and energy arrives later."""
    ids = await _ids(client)
    with closing(client.group.library.connect()) as conn:
        usage.record_uses(conn, [ids["styles/ember_sd15.safetensors"]] * 2 + [ids["fable_sd15.safetensors"]], 50.0)
        usage.record_uses(conn, [ids["characters/aiko_sdxl.safetensors"]], 60.0)
    (lib.loras / "moved").mkdir()
    (lib.loras / "styles/ember_sd15.safetensors").rename(lib.loras / "moved/ember_sd15.safetensors")
    await _rescan(client)
    for name in ("characters/bram_sd15.safetensors", "fable_sd15.safetensors"):
        assert (await client.get(f"/mad-nodes/library/entry/{ids[name]}/energy")).status == 200
    items = (await _search(client))["items"]
    assert {i["name"]: i["use_count"] for i in items}.get("moved/ember_sd15.safetensors") == 2

    def key(item, sort):
        if sort == "balance":
            return item["energy"]["balance"] if item["energy"] else None
        return item[sort] or None

    for sort in ("last_used", "use_count", "balance"):
        for order in ("asc", "desc"):
            valued = sorted((i for i in items if key(i, sort) is not None),
                            key=lambda i, s=sort: (key(i, s), i["name"].casefold()), reverse=order == "desc")
            rest = sorted((i for i in items if key(i, sort) is None), key=lambda i: i["name"].casefold(),
                          reverse=order == "desc")
            expected = [i["name"] for i in valued + rest]
            for size in (1, 4):
                got = []
                for offset in range(0, len(FILES), size):
                    got += [i["name"] for i in (await _search(client, sort=sort, order=order, offset=str(offset),
                                                              page_size=str(size)))["items"]]
                assert got == expected, (sort, order, size)
