// Block vectors, the metadata cache (injectable storage, fake fetch) and the LoRA search fallback.
import { test } from "node:test";
import assert from "node:assert/strict";

import { EditorApi, filterNames, loraNamesFromObjectInfo } from "../../web/lib/api.js";
import { LEGACY_KEY, MetadataCache, memoryStorage } from "../../web/lib/metadata_cache.js";
import { blocksFor, effectiveVector, energyBars, formatVectors, groupBlocks, presetVector, setBlockValue } from "../../web/lib/vectors.js";
import { parseScheduleString, serializeItem } from "../../web/lib/schedule.js";

const CONFIG = {
  ARCH_BLOCK_MAPPINGS: { SDXL: { blocks: [
    { id: "input_4", label: "IN04", group: "POSE", tag: "POSE" }, { id: "middle_0", label: "MID", group: "IDENTITY", tag: "IDENTITY" },
    { id: "output_3", label: "OUT03", group: "STYLE", tag: "STYLE" }, { id: "output_6", label: "OUT06", group: "DETAILS", tag: "DETAILS" },
  ] } },
  BLOCK_GROUPS: [{ id: "POSE", name: "Structure / Pose" }, { id: "IDENTITY", name: "Concept" }, { id: "STYLE", name: "Style" },
    { id: "DETAILS", name: "Details" }],
  PRESET_STRATEGIES: { LINEAR: { label: "Linear", weights: { POSE: 1, IDENTITY: 1, STYLE: 1, DETAILS: 1 } },
    STYLE_FOCUSED: { label: "Style", weights: { POSE: 0.6, IDENTITY: 1, STYLE: 1.4, DETAILS: 1.6 } } },
  PRESET_COMPATIBLE_ARCHS: ["SDXL"],
};

test("blocks follow the measured stats, else the layout; stray vector blocks are kept", () => {
  const stats = { energy_distribution: { output_3: 0.7, input_4: 0.3 }, block_metadata: { output_3: { label: "OUT03", group: "STYLE", tag: "STYLE" } } };
  assert.deepEqual(blocksFor(CONFIG, "SDXL", stats).map((b) => b.id), ["output_3", "input_4"]);
  const all = blocksFor(CONFIG, "SDXL", null, { custom_9: 0.5 });
  assert.deepEqual(all.map((b) => b.id), ["input_4", "middle_0", "output_3", "output_6", "custom_9"]);
  assert.deepEqual(groupBlocks(CONFIG, all).map((g) => g.name), ["Structure / Pose", "Concept", "Style", "Details", "OTHER"]);
  assert.deepEqual(energyBars(stats, all.slice(0, 3)), { input_4: 0.3 / 0.7, middle_0: 0, output_3: 1 });
});

test("a preset expands by tag; moving a slider leaves the preset and says exactly what runs", () => {
  const blocks = blocksFor(CONFIG, "SDXL", null);
  assert.deepEqual(presetVector(CONFIG, blocks, "STYLE_FOCUSED"), { input_4: 0.6, output_3: 1.4, output_6: 1.6 });
  assert.deepEqual(presetVector(CONFIG, blocks, "LINEAR"), {});
  const item = { preset: "STYLE_FOCUSED", vectors: {} };
  const changed = setBlockValue(CONFIG, blocks, item, "middle_0", 0.25);
  assert.deepEqual(changed, { preset: null, vectors: { input_4: 0.6, middle_0: 0.25, output_3: 1.4, output_6: 1.6 } });
  assert.equal(effectiveVector(CONFIG, blocks, { preset: "STYLE_FOCUSED", vectors: { input_4: 2 } }).input_4, 2, "explicit wins");
  const line = serializeItem({ lora_name: "a.safetensors", enabled: true, strength_model: 1, strength_clip: 1,
    points: [{ x: 0, y: 1 }, { x: 1, y: 1 }], arch: "SDXL", ...changed });
  assert.equal(line.split(":vectors=")[1], `${formatVectors(changed.vectors)}>`);
  assert.deepEqual(parseScheduleString(line)[0].vectors, changed.vectors);
});

/** A fake fetch answering from a table; counts calls. */
function fakeFetch(table) {
  const calls = [];
  const fn = async (url, init = {}) => {
    calls.push(`${init.method ?? "GET"} ${url}`);
    const key = Object.keys(table).find((k) => url.startsWith(k));
    const [status, body] = key ? (typeof table[key] === "function" ? table[key]() : table[key]) : [404, {}];
    return { ok: status >= 200 && status < 300, status, json: async () => structuredClone(body) };
  };
  return Object.assign(fn, { calls });
}

const legacy = (text) => {
  const data = new Map(text === null ? [] : [[LEGACY_KEY, text]]);
  return { getItem: (k) => data.get(k) ?? null, removeItem: (k) => data.delete(k), data };
};

test("legacy localStorage is imported once into an empty store, without error entries", async () => {
  const storage = memoryStorage();
  const old = legacy(JSON.stringify({ "a.safetensors": { arch: "SD15" }, "inspect:b.safetensors": { arch: "SDXL" },
    "c.safetensors": { arch: "UNKNOWN", error: "File not found" } }));
  const cache = new MetadataCache({ storage, legacy: old, fetch: fakeFetch({}) });
  await cache.ready();
  assert.deepEqual((await storage.getAll()).map(([k]) => k).sort(), ["inspect:a.safetensors", "inspect:b.safetensors"]);
  assert.equal(old.data.size, 0, "the legacy key is removed after import");
});

test("errors are not cached; a stored answer is served, re-checked once, and replaced when the file changed", async () => {
  let fingerprint = "f1";
  const fetch = fakeFetch({
    "/mad-nodes/inspect-lora?lora_name=missing": [404, { arch: "UNKNOWN", error: "File not found" }],
    "/mad-nodes/inspect-lora?lora_name=a": () => [200, { arch: "SDXL", stats: {}, fingerprint }],
  });
  const storage = memoryStorage();
  const cache = new MetadataCache({ storage, fetch });
  assert.equal((await cache.inspect("missing")).error, "File not found");
  assert.equal(cache.peek("inspect:missing"), null);
  await cache.inspect("a.safetensors");
  const second = new MetadataCache({ storage, fetch }); // a new session over the same store
  fingerprint = "f2";
  let stale = null;
  const served = await second.inspect("a.safetensors", { onStale: (body) => { stale = body; } });
  assert.equal(served.fingerprint, "f1", "the stored answer is served at once");
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(stale?.fingerprint, "f2");
  assert.equal(second.peek("inspect:a.safetensors").fingerprint, "f2");
  const before = fetch.calls.length;
  await second.inspect("a.safetensors");
  assert.equal(fetch.calls.length, before, "checked once per session");
});

test("identical requests in flight share one fetch; compat keys; clearing clears both sides", async () => {
  const fetch = fakeFetch({
    "/mad-nodes/inspect-lora?lora_name=a": [200, { arch: "SDXL", fingerprint: "f" }],
    "/mad-nodes/check-compatibility": [200, { status: "ok", compatible: true }],
    "/mad-nodes/clear-cache": [200, { status: "cleared" }],
  });
  const storage = memoryStorage();
  const cache = new MetadataCache({ storage, fetch });
  await Promise.all([cache.inspect("a"), cache.inspect("a")]);
  assert.equal(fetch.calls.filter((c) => c.includes("inspect-lora")).length, 1);
  await cache.compatibility("sdxl.safetensors", "a");
  assert.ok(cache.peek("compat:sdxl.safetensors:a"));
  assert.equal((await cache.clearAll()).status, "cleared");
  assert.deepEqual(await storage.getAll(), []);
  assert.equal(cache.peek("inspect:a"), null);
  assert.ok(fetch.calls.includes("POST /mad-nodes/clear-cache"));
});

/** ComfyUI's API helper over a fake fetch: routes are served under `/api` (as `api.apiURL` does). */
const comfyApi = (fetch) => ({ fetchApi: fetch, apiURL: (route) => `/sub/api${route}` });

test("search falls back to ComfyUI's LoRA list when the library route is absent", async () => {
  const names = Array.from({ length: 120 }, (_, i) => `folder/lora_${i}.safetensors`);
  const fetch = fakeFetch({ "/object_info/LoraLoader": [200, { LoraLoader: { input: { required: { lora_name: [names] } } } }] });
  const api = new EditorApi(comfyApi(fetch));
  const page = await api.search({ query: "LORA_1", page: 2, pageSize: 10 });
  assert.equal(page.source, "core");
  assert.equal(page.total, 31); // lora_1, lora_10..19, lora_100..119
  assert.equal(page.items.length, 10);
  assert.equal(api.libraryAvailable, false);
  assert.deepEqual(filterNames(["A b", "a c"], "a  B", 1, 5), { total: 1, names: ["A b"] });
  assert.deepEqual(loraNamesFromObjectInfo({ LoraLoader: { input: { required: { lora_name: ["COMBO", { options: ["x"] }] } } } }), ["x"]);
});

test("a failed library search does not disable the library: the next search asks it again", async () => {
  let libraryUp = false;
  const fetch = fakeFetch({
    "/mad-nodes/library/search": () => (libraryUp ? [200, { total: 1, page: 1, page_size: 50, items: [{ name: "ink.safetensors" }] }]
      : [503, { error: "restarting" }]),
    "/object_info/LoraLoader": [200, { LoraLoader: { input: { required: { lora_name: [["ink.safetensors"]] } } } }],
  });
  const api = new EditorApi(comfyApi(fetch));
  assert.equal((await api.search({ query: "ink" })).source, "core");
  libraryUp = true;
  const again = await api.search({ query: "ink" });
  assert.equal(again.source, "library");
  assert.equal(api.libraryAvailable, true);
  assert.equal(fetch.calls.filter((c) => c.includes("library/search")).length, 2);
});

test("every request goes through the API helper; URLs come from apiURL", async () => {
  const fetch = fakeFetch({ "/mad-nodes/pack-info": [200, { version: "x" }] });
  const api = new EditorApi(comfyApi(fetch));
  assert.deepEqual(await api.packInfo(), { version: "x" });
  assert.deepEqual(fetch.calls, ["GET /mad-nodes/pack-info"]);
  assert.equal(api.previewUrl("a b.safetensors"), "/sub/api/mad-nodes/lora-preview?lora_name=a+b.safetensors");
  assert.equal(api.thumbnailUrl("a&b.safetensors", 96), "/sub/api/mad-nodes/lora-preview?lora_name=a%26b.safetensors&size=96");
});
