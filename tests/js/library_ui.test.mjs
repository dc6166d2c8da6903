// The library tab's pure parts: virtual window maths (against a brute-force layout), the bounded page
// cache, filter state (stored copies, query parameters, facet menus, chips), the energy sparkline,
// profiles (blocks of a layout, apply, validation), adding a LoRA to a node config, HTML to plain text.
import { test } from "node:test";
import assert from "node:assert/strict";

import { PageCache, columnsFor, pagesFor, visibleRange } from "../../web/lib/library_window.js";
import { STORAGE_KEY, activeChips, clearFilters, defaultState, facetChoices, filterParams, formatCount, loadState,
  normaliseState, queryKey, saveState, searchParams, toggleValue } from "../../web/lib/library_filters.js";
import { dominantPart, energySplit, sparkBars, splitText } from "../../web/lib/sparkline.js";
import { applyProfile, draftProblems, layoutOf, mainBlocks, parseWeights, profileMatches, profileProblem, variantFor,
  weightsFromVector } from "../../web/lib/profile_model.js";
import { DRAG_TYPE, addLoraToConfig, configLoraNames, dragPayload, readDragPayload } from "../../web/lib/library_targets.js";
import { readConfig } from "../../web/lib/config_model.js";
import { formatBytes, htmlToText } from "../../web/lib/plain_text.js";
import { compositionLine, compositionsUsing } from "../../web/lib/composition_match.js";

// ─── virtual window ───

/** Indexes whose cell intersects the viewport, by laying out every cell. */
function bruteVisible(total, columns, rowHeight, scrollTop, viewport) {
  const out = [];
  for (let i = 0; i < total; i++) {
    const top = Math.floor(i / columns) * rowHeight;
    if (top < scrollTop + viewport && top + rowHeight > scrollTop) out.push(i);
  }
  return out;
}

test("the rendered window covers every visible cell and at most the overscan beyond", () => {
  for (const [total, columns, rowHeight] of [[30000, 1, 60], [2001, 3, 196], [7, 2, 50], [0, 1, 60], [1, 4, 100]]) {
    const height = Math.ceil(total / columns) * rowHeight;
    for (const scrollTop of [0, 1, 59, 60, 61, 1234, height / 2, height - 700, height]) {
      const viewport = 700;
      const r = visibleRange({ scrollTop, viewportHeight: viewport, rowHeight, columns, total, overscan: 2 });
      const clamped = Math.min(Math.max(0, scrollTop), Math.max(0, height - 1));
      const seen = bruteVisible(total, columns, rowHeight, clamped, viewport);
      for (const i of seen) assert.ok(i >= r.firstIndex && i < r.lastIndex, `${total}/${columns} @${scrollTop}: ${i} not rendered`);
      const renderedRows = r.lastRow - r.firstRow;
      assert.ok(renderedRows <= Math.ceil(viewport / rowHeight) + 1 + 4, `too many rows: ${renderedRows}`);
      assert.equal(r.totalHeight, height);
    }
  }
});

test("a 30k library renders a few dozen cells, not 30k", () => {
  const r = visibleRange({ scrollTop: 900000, viewportHeight: 800, rowHeight: 60, columns: 1, total: 30000 });
  assert.ok(r.lastIndex - r.firstIndex < 25);
  assert.ok(r.firstIndex > 14000 && r.lastIndex <= 30000);
});

test("columns fit the width, never fewer than one", () => {
  assert.equal(columnsFor(320, 150), 2);
  assert.equal(columnsFor(100, 150), 1);
  assert.equal(columnsFor(0, 150), 1);
  assert.equal(columnsFor(900, 200), 4);
});

test("pages needed for a window are the page-size multiples that overlap it", () => {
  assert.deepEqual(pagesFor(0, 13, 100), [0]);
  assert.deepEqual(pagesFor(95, 112, 100), [0, 100]);
  assert.deepEqual(pagesFor(200, 200, 100), []);
  assert.deepEqual(pagesFor(29990, 30000, 100), [29900]);
});

test("the page cache is bounded, drops the least recently used page, and forgets everything on a new query", () => {
  const cache = new PageCache(10, 3);
  cache.useKey("a");
  for (const offset of [0, 10, 20]) cache.put(offset, Array.from({ length: 10 }, (_, i) => offset + i));
  cache.touch([0]);
  cache.put(30, Array.from({ length: 10 }, (_, i) => 30 + i));
  assert.equal(cache.get(5), 5, "touched page kept");
  assert.equal(cache.get(15), undefined, "least recently used page dropped");
  assert.equal(cache.get(33), 33);
  assert.deepEqual(cache.missing([0, 10, 30]), [10]);
  cache.loading.add(10);
  assert.deepEqual(cache.missing([0, 10, 30]), []);
  assert.equal(cache.useKey("a"), false);
  assert.equal(cache.useKey("b"), true);
  assert.equal(cache.get(5), undefined);
  assert.deepEqual(cache.missing([10]), [10], "loading marks of the old query are gone");
});

// ─── filters ───

test("a stored state survives a reload; garbage falls back to defaults field by field", () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  assert.deepEqual(loadState(storage), defaultState());
  const s = { ...defaultState(), q: "aiko", family: ["SDXL"], tag: ["wip"], favourite: "true", rankMin: 8, sort: "rank", order: "desc", view: "grid" };
  saveState(storage, s);
  assert.deepEqual(loadState(storage), s);
  store.set(STORAGE_KEY, "{not json");
  assert.deepEqual(loadState(storage), defaultState());
  const odd = normaliseState({ q: 5, family: "SDXL", role: ["style", 3, "style"], clip: "maybe", rankMin: -1, rankMax: "16",
    sort: "DROP TABLE", order: "sideways", view: "table", tagMode: "all" });
  assert.deepEqual(odd, { ...defaultState(), role: ["style"], rankMax: 16, tagMode: "all" });
});

test("filters become the route's parameters: lists comma-joined, flags, rank range, tag mode only when it matters", () => {
  const s = { ...defaultState(), q: "  water color ", family: ["SDXL", "SD15"], tag: ["a", "b"], tagMode: "all",
    folder: "styles/sdxl", clip: "false", preview: "true", rankMin: 4, rankMax: 32 };
  assert.deepEqual(filterParams(s), { q: "water color", family: "SDXL,SD15", tag: "a,b", tag_mode: "all",
    folder: "styles/sdxl", clip: "false", preview: "true", rank_min: "4", rank_max: "32" });
  assert.deepEqual(filterParams({ ...s, tag: ["a"] }).tag_mode, undefined);
  assert.deepEqual(searchParams(defaultState(), 200, 100), { sort: "name", order: "asc", page: "3", page_size: "100" });
  assert.notEqual(queryKey(s), queryKey({ ...s, order: "desc" }));
  assert.equal(queryKey(s), queryKey({ ...s, view: "grid" }), "the view does not change the results");
});

test("facet menus: most first, selected values kept at zero, 'null' hidden; counts formatted", () => {
  const choices = facetChoices({ SDXL: 10, SD15: 3, "FLUX.1": 10, null: 4 }, ["WAN"]);
  assert.deepEqual(choices.map((c) => [c.value, c.count, c.selected]),
    [["FLUX.1", 10, false], ["SDXL", 10, false], ["SD15", 3, false], ["WAN", 0, true]]);
  assert.equal(formatCount(30000), "30,000");
  assert.equal(formatCount(999), "999");
  assert.equal(formatCount(1234567), "1,234,567");
});

test("each active filter is a chip that removes exactly itself", () => {
  const s = { ...defaultState(), q: "x", family: ["SDXL", "SD15"], favourite: "true", rankMax: 8 };
  const chips = activeChips(s);
  assert.deepEqual(chips.map((c) => c.text), ["“x”", "Family: SDXL", "Family: SD15", "Favourite: yes", "Rank 0–8"]);
  assert.deepEqual(normaliseState({ ...s, ...chips[1].patch }).family, ["SD15"]);
  assert.deepEqual(clearFilters({ ...s, sort: "size", view: "grid" }), { ...defaultState(), sort: "size", view: "grid" });
  assert.deepEqual(toggleValue(s, "family", "SDXL").family, ["SD15"]);
  assert.deepEqual(toggleValue(s, "role", "style").role, ["style"]);
});

// ─── sparkline ───

test("energy split: shares of the three parts, bars scaled to the largest, none without energy", () => {
  const split = energySplit({ input: 2, mid: 1, output: 7, balance: 0.5 });
  assert.deepEqual(split, { input: 0.2, mid: 0.1, output: 0.7 });
  const bars = sparkBars(split, 30, 18);
  assert.deepEqual(bars.map((b) => b.h), [5, 3, 18]);
  assert.ok(bars.every((b) => b.y + b.h === 18), "bottom-aligned");
  assert.equal(splitText(split), "in 20% · mid 10% · out 70%");
  assert.equal(dominantPart(split), "output");
  assert.equal(dominantPart({ input: 0.4, mid: 0.2, output: 0.4 }), "spread");
  assert.equal(energySplit(null), null);
  assert.equal(energySplit({ input: 0, mid: 0, output: 0 }), null);
  assert.equal(energySplit({ input: NaN, mid: 1, output: 1 }), null);
  assert.deepEqual(sparkBars({ input: 0.001, mid: 0, output: 0.999 }, 30, 18).map((b) => b.h), [1, 0, 18], "tiny share stays visible");
});

// ─── profiles ───

const CONFIG = { ARCH_BLOCK_MAPPINGS: {
  SDXL: { layout: "sdxl_unet_9", sections: ["input", "middle", "output"], variants: [{ input: 9, middle: 1, output: 9 }] },
  SD3: { layout: "sd3_joint", sections: ["joint"], variants: [{ joint: 38 }, { joint: 24 }] },
  UNKNOWN: {} } };
const SDXL_BLOCKS = [...Array(9).keys()].map((i) => `input_${i}`).concat(["middle_0"], [...Array(9).keys()].map((i) => `output_${i}`));

test("main blocks of a layout variant in run order, middle as one block (as the profiles route lists them)", () => {
  assert.deepEqual(mainBlocks(["input", "middle", "output"], { input: 9, middle: 1, output: 9 }), SDXL_BLOCKS);
  const sd3 = layoutOf(CONFIG, "SD3");
  assert.deepEqual(sd3.variants.map((v) => v.length), [24, 38], "smallest variant first");
  assert.equal(layoutOf(CONFIG, "UNKNOWN"), null);
  assert.equal(variantFor(sd3.variants, ["joint_3", "te1_layer_0"]).length, 24);
  assert.equal(variantFor(sd3.variants, ["joint_30"]).length, 38);
  assert.equal(variantFor(sd3.variants, []).length, 38, "unknown blocks: the largest");
});

test("a profile applies as the LoRA's block vector; a wrong layout or variant is refused with its reason", () => {
  const weights = SDXL_BLOCKS.map((_, i) => (i === 0 ? 0 : i === 9 ? 0.25 : i === 18 ? 1.5 : 1));
  const profile = { id: 1, name: "Face <b>", layout: "sdxl_unet_9", weights, blocks: SDXL_BLOCKS };
  const every = Object.fromEntries(SDXL_BLOCKS.map((b, i) => [b, weights[i]]));
  assert.deepEqual(applyProfile(profile, CONFIG, "SDXL"), { preset: "Face <b>", vectors: every },
    "the profile's name as the preset, and its value for every block");
  assert.deepEqual(applyProfile({ ...profile, blocks: undefined }, CONFIG, "SDXL").vectors, every);
  assert.match(profileProblem(profile, CONFIG, "SD3"), /is for layout sdxl_unet_9; this LoRA \(SD3\) uses sd3_joint/);
  assert.throws(() => applyProfile(profile, CONFIG, "SD3"), /sd3_joint/);
  const sd3 = { id: 2, name: "big", layout: "sd3_joint", weights: Array(38).fill(1) };
  assert.equal(profileProblem(sd3, CONFIG, "SD3", []), null);
  assert.match(profileProblem(sd3, CONFIG, "SD3", ["joint_1"]), /38 weights; this LoRA's sd3_joint variant has 24 blocks/);
  assert.match(profileProblem(profile, CONFIG, "UNKNOWN"), /no block layout/);
  const full = Object.fromEntries(SDXL_BLOCKS.map((b, i) => [b, weights[i]]));
  assert.equal(profileMatches(profile, full), true);
  assert.equal(profileMatches(profile, { ...full, output_8: 1 }), false);
  assert.deepEqual(weightsFromVector({ input_0: 0, middle_0: 0.25 }, SDXL_BLOCKS), weights.map((w, i) => (i === 18 ? 1 : w)));
});

test("typed weights: separators, and each token that is not a finite number named", () => {
  assert.deepEqual(parseWeights("1, 0.5 0;2\n-1e-1"), { weights: [1, 0.5, 0, 2, -0.1], problems: [] });
  const bad = parseWeights("1, x, Infinity, 1e999, 0x10");
  assert.deepEqual(bad.problems, ['weights[1]: "x" is not a finite number', 'weights[2]: "Infinity" is not a finite number',
    'weights[3]: "1e999" is not a finite number', 'weights[4]: "0x10" is not a finite number']);
});

test("a draft profile: every problem named (name, layout, length, finiteness)", () => {
  const layouts = { sdxl_unet_9: { lengths: [19] }, sd3_joint: { lengths: [24, 38] } };
  assert.deepEqual(draftProblems({ name: "ok", layout: "sdxl_unet_9", weights: Array(19).fill(1) }, layouts), []);
  assert.deepEqual(draftProblems({ name: " x", layout: "nope", weights: [1, NaN] }, layouts),
    ["name: remove the spaces at its start or end", 'layout: unknown "nope"', "weights[1]: NaN is not finite"]);
  assert.deepEqual(draftProblems({ name: "", layout: "sd3_joint", weights: Array(25).fill(1) }, layouts),
    ["name: must not be empty", "weights: 25 values, layout sd3_joint needs 24 or 38 (one per block)"]);
  assert.deepEqual(draftProblems({ name: "a\u0007", layout: "sd3_joint", weights: Array(24).fill(1) }, layouts),
    ["name: contains control characters"]);
});

// ─── add to node ───

test("adding a LoRA appends to the active profile and keeps every other field, known or not", () => {
  const text = JSON.stringify({ active_profile: "B", profiles: { A: { loras: [] }, B: { loras: [{ lora_name: "x.safetensors",
    strength_model: 0.5, profile: "Face", role: "style" }], settings: { snap: 0.1 } } }, extra: { keep: true } });
  const { text: out, index } = addLoraToConfig(text, "dir/<b>new</b>.safetensors");
  const data = JSON.parse(out);
  assert.equal(index, 1);
  assert.deepEqual(data.extra, { keep: true });
  assert.deepEqual(data.profiles.B.loras[0], { lora_name: "x.safetensors", strength_model: 0.5, profile: "Face", role: "style" });
  assert.equal(data.profiles.B.loras[1].lora_name, "dir/<b>new</b>.safetensors");
  assert.deepEqual(data.profiles.A.loras, []);
  const model = readConfig(out);
  assert.equal(model.profiles.get("B").loras[1].strength_model, 1, "the loader's own reader accepts the new item");
  assert.deepEqual(configLoraNames(out), ["x.safetensors", "dir/<b>new</b>.safetensors"]);
  const list = JSON.parse(addLoraToConfig("[]", "a.safetensors").text);
  assert.equal(list.length, 1);
  assert.equal(JSON.parse(addLoraToConfig("", "a.safetensors").text).length, 1, "an empty widget starts a list");
  assert.throws(() => addLoraToConfig("{oops", "a"), /not JSON/);
  assert.throws(() => addLoraToConfig("42", "a"), /neither a list nor a profiles object/);
});

test("drag payloads round-trip; anything else is not ours", () => {
  assert.equal(DRAG_TYPE, "application/x-lwb-lora");
  assert.deepEqual(readDragPayload(dragPayload({ name: "a/b.safetensors", id: "f".repeat(32) })), { name: "a/b.safetensors", id: "f".repeat(32) });
  assert.equal(readDragPayload("not json"), null);
  assert.equal(readDragPayload(JSON.stringify({ name: 3 })), null);
  assert.equal(readDragPayload(""), null);
});

// ─── text ───

test("sidecar HTML becomes plain text; scripts and tags vanish, entities decode, nothing is markup", () => {
  const html = '<p>Line <b>one</b></p><script>alert(1)</script><ul><li>a &amp; b</li><li>&lt;img src=x onerror=alert(1)&gt;</li></ul>x<br>y &#x41;&#66;';
  assert.equal(htmlToText(html), "Line one\n• a & b\n• <img src=x onerror=alert(1)>\nx\ny AB");
  assert.equal(htmlToText(""), "");
  assert.equal(htmlToText(null), "");
  assert.equal(formatBytes(1536), "1.5 KB");
  assert.equal(formatBytes(10), "10 B");
});

test("compositions of a LoRA: by full name or by a root-level stem, never a same-named file elsewhere", () => {
  const records = [
    { id: 3, created_at: 0, source: "node", policy: "budget", inputs: { loras: [{ lora_name: "styles/ink.safetensors" }, { lora_name: "b" }] } },
    { id: 2, source: "editor", policy: "weighted", inputs: { loras: [{ lora_name: "ink" }] } },
    { id: 1, source: "editor", inputs: { loras: [{ lora_name: "other/ink.safetensors" }] } },
    { id: 0, inputs: {} },
  ];
  assert.deepEqual(compositionsUsing(records, "styles/ink.safetensors").map((r) => r.id), [3, 2]);
  assert.deepEqual(compositionsUsing(records, "other\\ink.safetensors").map((r) => r.id), [2, 1]);
  assert.deepEqual(compositionsUsing(records, "nothing.safetensors"), []);
  assert.equal(compositionLine(records[0]), "#3 · 1970-01-01 00:00 · node · 2 LoRAs · budget");
});
