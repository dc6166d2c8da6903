// The combiner editor's pure logic: its config (round trip, request), the heat map and cosine pictures as data,
// reading a combine answer, and "send to loader" (the loader then runs the schedule string the route returned).
import { test } from "node:test";
import assert from "node:assert/strict";

import { addLora, combineRequest, profileVectors, readCombinerConfig, snapshotState, stateFromSnapshot, writeCombinerConfig,
  MAX_LORAS } from "../../web/lib/combiner_model.js";
import { blockShares, cosineCells, cosineColor, heatHeight, heatLayout, hitTest, shareColor, MISSING_COLOR } from "../../web/lib/heat_map.js";
import { compositionDetail, compositionRow, stateFromComposition } from "../../web/lib/history_model.js";
import { cosineMatrix, heatInput, keptByLora, resultRows, verdictLines, verdictSummary } from "../../web/lib/combine_result.js";
import { EditorApi } from "../../web/lib/api.js";
import { COMBINER_PROFILE, loaderConfigWithResult } from "../../web/lib/send_to_loader.js";
import { readConfig, writeConfig, newItem, emptyModel } from "../../web/lib/config_model.js";
import { ScheduleError, parseScheduleConfig, serializeSchedule } from "../../web/lib/schedule.js";

const HOSTILE = "<img src=x onerror=alert(1)>.safetensors";

test("a combiner config written by the editor reads back to the same set, and the node's parser accepts it", () => {
  let items = addLora([], "a/one.safetensors");
  items = addLora(items, HOSTILE);
  items[0].strength_model = 0.7;
  items[0].vectors = { input_4: 0, output_1: 1.25 };
  items[1].profile = "My profile";
  items[1].enabled = false;
  const text = writeCombinerConfig(items);
  assert.deepEqual(readCombinerConfig(text), items);
  const parsed = parseScheduleConfig(text); // the loader's (and the node's) item grammar
  assert.deepEqual(parsed.map((i) => [i.lora_name, i.enabled, i.strength_model, i.vectors]),
    [["a/one.safetensors", true, 0.7, { input_4: 0, output_1: 1.25 }], [HOSTILE, false, 1, {}]]);
  assert.notEqual(items[0].color, items[1].color);
});

test("a malformed combiner config is refused with the item named", () => {
  assert.throws(() => readCombinerConfig('[{"lora_name": "x", "strength_model": "nan"}]'), (err) =>
    err instanceof ScheduleError && /item 1 \(x\): strength_model/.test(err.message));
  assert.throws(() => readCombinerConfig('[{"lora_name": "x", "profile": 3}]'), /item 1 \(x\): profile/);
  assert.deepEqual(readCombinerConfig(""), []);
  assert.deepEqual(readCombinerConfig("[]"), []);
});

test("adding a LoRA twice or past the limit is refused, naming the problem", () => {
  const items = addLora([], "a.safetensors");
  assert.throws(() => addLora(items, "a.safetensors"), /a\.safetensors is already in the set/);
  let many = [];
  for (let i = 0; i < MAX_LORAS; i++) many = addLora(many, `l${i}.safetensors`);
  assert.throws(() => addLora(many, "one_more.safetensors"), /at most 32/);
});

test("the combine request carries the enabled LoRAs, vectors or profile, policy and headroom", () => {
  let items = addLora(addLora(addLora([], "a.safetensors"), "b.safetensors"), "c.safetensors");
  items[0].vectors = { input_4: 0.5 };
  items[1].profile = "soft";
  items[1].vectors = profileVectors({ name: "soft", weights: [0.5, 2], blocks: ["input_4", "output_1"] });
  items[2].enabled = false;
  assert.deepEqual(combineRequest({ items, policy: "budget", headroom: 1.5 }), {
    loras: [
      { lora_name: "a.safetensors", strength_model: 1, strength_clip: 1, vectors: { input_4: 0.5 } },
      { lora_name: "b.safetensors", strength_model: 1, strength_clip: 1, vectors: { input_4: 0.5, output_1: 2 }, profile: "soft" },
    ],
    policy: "budget", headroom: 1.5,
  });
  assert.throws(() => combineRequest({ items, policy: "budget", headroom: Number.NaN }), /headroom: NaN/);
  assert.throws(() => combineRequest({ items, policy: "budget", headroom: 0 }), /headroom: 0 is outside/);
  assert.throws(() => profileVectors({ name: "odd", weights: [1, 2, 3], blocks: [] }), /profile "odd": its 3 weights match no block/);
});

// Two LoRAs, two blocks, numbers chosen by hand.
const ANSWER = {
  response_schema_version: 1,
  verdicts: [{ code: "lineage_mix", loras: ["a.safetensors", "b.safetensors"], detail: "Pony and Illustrious", excluded: false },
    { code: "unknown_layout", loras: ["z.safetensors"], detail: "z.safetensors: no block layout", excluded: true }],
  loras: [
    { lora_name: "a.safetensors", included: true, strength_model: 0.8, strength_clip: 0.6, block_values: { input_4: 0.5, output_1: 1 },
      inspire_vector: "1,0.5,1", slot_labels: ["BASE", "IN04", "OUT01"] },
    { lora_name: "z.safetensors", included: false, excluded_reason: "unknown_layout: no block layout", strength_model: 1, strength_clip: 1 },
    { lora_name: "b.safetensors", included: true, strength_model: 1, strength_clip: 0, block_values: { output_1: 0.75 },
      inspire_vector: "1,0.75", slot_labels: ["BASE", "OUT01"] },
  ],
  blocks: [
    { block_id: "input_4", label: "IN04", budget: 2, requested_norm: 3, achieved_norm: 1.5, requested_norms: [3, 1],
      achieved_norms: [1.5, 0.5], loras: [0, 2], cosines: [[1, 0.25], [0.25, 1]] },
    { block_id: "output_1", label: "OUT01", budget: 4, requested_norm: 2, achieved_norm: 2, requested_norms: [0, 2],
      achieved_norms: [0, 2], loras: [0, 2], cosines: [[0, 0], [0, 1]] },
  ],
  schedule_string: "<lora:a:0.8:0.6:0,1;1,1:vectors=input_4=0.5>\n<lora:b:1:0:0,0.5;1,1:vectors=output_1=0.75>",
};

test("shares: each LoRA's part of the block's requested norms, achieved over the same total", () => {
  const input = heatInput(ANSWER, (name) => (name === "a.safetensors" ? "#ff0000" : "#00ff00"));
  assert.deepEqual(input.loras, [{ name: "a.safetensors", color: "#ff0000" }, { name: "b.safetensors", color: "#00ff00" }]);
  assert.deepEqual(blockShares(input.blocks[0]), { requested: [0.75, 0.25], achieved: [0.375, 0.125] });
  assert.deepEqual(blockShares(input.blocks[1]), { requested: [0, 1], achieved: [0, 1] });
  assert.deepEqual(blockShares({ ...input.blocks[0], requested: [0, 0], achieved: [0, 0] }), { requested: [0, 0], achieved: [0, 0] });
});

test("the heat map has a requested and an achieved cell per LoRA and block, coloured by share", () => {
  const input = heatInput(ANSWER, () => "#123456");
  const layout = heatLayout(input, 800, 300);
  assert.equal(layout.cells.length, 2 * 2 * 2);
  const cell = (block, lora, kind) => layout.cells.find((c) => c.block === block && c.lora === lora && c.kind === kind);
  assert.equal(cell(0, 0, "requested").color, shareColor(0.75));
  assert.equal(cell(0, 0, "achieved").color, shareColor(0.375));
  assert.equal(cell(1, 1, "achieved").color, shareColor(1));
  assert.equal(layout.scaleMax, 1, "LoRA b has all of block 1");
  // cells tile the grid: columns side by side, the achieved row right under its requested row
  assert.equal(cell(1, 0, "requested").x, cell(0, 0, "requested").x + layout.colWidth);
  assert.equal(cell(0, 0, "achieved").y, cell(0, 0, "requested").y + layout.rowHeight);
  assert.ok(layout.cells.every((c) => c.x >= layout.labelWidth && c.x + c.w <= 800 + 1e-9 && c.y + c.h <= 300));
  // the painted image: one pixel per cell, row = LoRA × (requested, achieved), column = block, same colours
  assert.deepEqual([layout.pixelColumns, layout.pixelRows], [2, 4]);
  for (const c of layout.cells) {
    const at = ((c.lora * 2 + (c.kind === "achieved" ? 1 : 0)) * 2 + c.block) * 4;
    assert.equal(`rgb(${layout.pixels[at]},${layout.pixels[at + 1]},${layout.pixels[at + 2]})`, c.color);
    assert.equal(layout.pixels[at + 3], 255);
  }
  // budget strip on one scale: block 0 requested 3 > budget 2 > achieved 1.5
  const [s0, s1] = layout.strip;
  assert.ok(s0.requestedY < s0.budgetY && s0.budgetY < s0.achievedY, "higher value = higher on screen");
  assert.equal(s1.budgetY, layout.stripTop, "the largest value of all (budget 4) reaches the top");
  // hit test finds the cell under a point and the block of the strip
  const c = cell(1, 1, "achieved");
  assert.deepEqual(hitTest(layout, c.x + 1, c.y + 1), { block: 1, lora: 1, kind: "achieved" });
  assert.deepEqual(hitTest(layout, s0.x + 1, layout.stripTop + 2), { block: 0, lora: null, kind: null });
  assert.equal(hitTest(layout, 2, c.y), null, "the label column is not a block");
});

test("the colour scales: dark to bright for shares, blue-white-red for cosines, grey for no change", () => {
  assert.equal(shareColor(0), "rgb(68,1,84)");
  assert.equal(shareColor(1), "rgb(253,231,37)");
  assert.equal(shareColor(5), shareColor(1));
  assert.equal(shareColor(Number.NaN), shareColor(0));
  assert.equal(cosineColor(-1), "rgb(49,54,149)");
  assert.equal(cosineColor(0), "rgb(240,240,240)");
  assert.equal(cosineColor(1), "rgb(165,0,38)");
  assert.equal(cosineColor(null), MISSING_COLOR);
});

test("the cosine matrix is symmetric, 1 on the diagonal where a LoRA changes the block", () => {
  assert.deepEqual(cosineMatrix({ "0-1": 0.25, "1-2": -0.5 }, [1, 1, 0]), [[1, 0.25, null], [0.25, 1, null], [null, null, null]]);
  assert.deepEqual(cosineMatrix([[1, 0.5, 0], [0.5, 1, -1], [0, -1, 1]], [2, 1, 3]), [[1, 0.5, 0], [0.5, 1, -1], [0, -1, 1]]);
  assert.deepEqual(cosineMatrix([[1, 0.5], [0.5, 1]], [2, 0]), [[1, null], [null, null]], "no change: no overlap to show");
  const cells = cosineCells(heatInput(ANSWER, () => "#000000").blocks[0], 100);
  assert.equal(cells.length, 4);
  assert.deepEqual(cells.map((c) => c.value), [1, 0.25, 0.25, 1]);
  assert.equal(cells[3].x, 50);
});

test("result rows and verdict lines name every LoRA, the excluded one with its reason", () => {
  const rows = resultRows(ANSWER);
  assert.deepEqual(rows.map((r) => [r.name, r.included, r.strengthModel, r.inspireVector]),
    [["a.safetensors", true, "0.8", "1,0.5,1"], ["z.safetensors", false, "1", ""], ["b.safetensors", true, "1", "1,0.75"]]);
  assert.equal(rows[1].reason, "unknown_layout: no block layout");
  assert.equal(rows[0].slotLabels, "BASE,IN04,OUT01");
  assert.deepEqual(verdictLines(ANSWER).map((l) => l.level), ["warn", "error"]);
  assert.match(verdictSummary(ANSWER).text, /^✕ 2\/3 combined, 1 excluded · unknown_layout/);
  assert.equal(verdictSummary({ ...ANSWER, verdicts: [] }).text, "✓ 2/3 combined");
});

test("send to loader: the loader then runs exactly the route's schedule string, its other profiles kept", () => {
  const mine = emptyModel();
  mine.profiles.get("Default").loras.push(newItem("keep_me.safetensors", 0));
  const before = writeConfig(mine);
  const { text, count, replaced } = loaderConfigWithResult(ANSWER, before);
  assert.equal(count, 2);
  assert.equal(replaced, null);
  const written = JSON.parse(text);
  assert.equal(written.active_profile, COMBINER_PROFILE);
  assert.deepEqual(written.profiles.Default, JSON.parse(before).profiles.Default, "the user's profile is untouched");
  assert.equal(serializeSchedule(parseScheduleConfig(text)), ANSWER.schedule_string);
  // sending again replaces the Combiner profile, it does not add another
  const again = readConfig(loaderConfigWithResult(ANSWER, text).text);
  assert.deepEqual([...again.profiles.keys()], ["Default", COMBINER_PROFILE]);
});

test("send to loader: an untouched loader gets the result as its Default profile; an unreadable config is reported", () => {
  const fresh = JSON.parse(loaderConfigWithResult(ANSWER, "").text);
  assert.deepEqual(Object.keys(fresh.profiles), ["Default"]);
  const broken = loaderConfigWithResult(ANSWER, "{not json");
  assert.equal(broken.replaced, "{not json");
  assert.equal(serializeSchedule(parseScheduleConfig(broken.text)), ANSWER.schedule_string);
});

test("a recorded composition lists, shows and restores its LoRAs, policy and headroom", () => {
  const entry = { id: 7, created_at: Date.UTC(2026, 0, 2, 3, 4, 5) / 1000, source: "editor",
    inputs: { loras: [{ lora_name: HOSTILE, strength_model: 0.5, strength_clip: 0.25, vectors: { input_4: 0 } },
      { lora_name: "b.safetensors", strength_model: 1, strength_clip: 1, profile: "soft", vectors: { output_1: 2 } }],
    policy: "weighted", headroom: 2 },
    result: ANSWER };
  const row = compositionRow(entry);
  assert.equal(row.id, 7);
  assert.equal(row.source, "editor");
  assert.equal(row.title, `${HOSTILE}, b.safetensors`);
  assert.equal(row.subtitle, "2 LoRAs · weighted ×2 · 1 verdict excluding");
  assert.match(row.when, /^2026-01-0[12] \d\d:04:05$/, "local time of the record");
  const detail = compositionDetail(entry);
  assert.equal(detail.lines[0], `${HOSTILE}: 0.5/0.25 with block vector`);
  assert.equal(detail.lines[1], "b.safetensors: 1/1 profile soft → 1/0");
  const state = stateFromComposition(entry);
  assert.equal(state.policy, "weighted");
  assert.equal(state.headroom, 2);
  assert.deepEqual(state.items.map((i) => [i.lora_name, i.strength_model, i.strength_clip, i.vectors, i.profile]),
    [[HOSTILE, 0.5, 0.25, { input_4: 0 }, null], ["b.safetensors", 1, 1, { output_1: 2 }, "soft"]]);
  assert.throws(() => stateFromComposition({ inputs: { loras: [], policy: "budget", headroom: 1 } }), /no LoRA to restore/);
  assert.throws(() => stateFromComposition({ inputs: { loras: [{ lora_name: "a" }], policy: "budget", headroom: -1 } }), /headroom/);
});

test("the heat map canvas grows with the LoRAs, within bounds", () => {
  assert.ok(heatHeight(1) < heatHeight(4));
  assert.equal(heatHeight(0), 140);
  assert.equal(heatHeight(32), 520);
});

test("at a glance: how much of each LoRA survives over all blocks, or why it was excluded", () => {
  const kept = keptByLora(ANSWER);
  assert.deepEqual(kept.get("a.safetensors"), { included: true, kept: 0.5, reason: "" }); // (1.5 + 0) / (3 + 0)
  assert.deepEqual(kept.get("b.safetensors"), { included: true, kept: 2.5 / 3, reason: "" }); // (0.5 + 2) / (1 + 2)
  assert.deepEqual(kept.get("z.safetensors"), { included: false, kept: null, reason: "unknown_layout: no block layout" });
});

test("an undo snapshot restores the LoRAs, policy and headroom exactly", () => {
  const items = addLora(addLora([], HOSTILE), "b.safetensors");
  items[1].vectors = { output_1: 0.25 };
  items[1].profile = "soft";
  const state = { items, policy: "role_aware", headroom: 0.85 };
  assert.deepEqual(stateFromSnapshot(snapshotState(state)), state);
});

test("the client posts the request as JSON and turns a refusal into the route's own message", async () => {
  /** @type {{url: string, init: any}[]} */
  const calls = [];
  const answers = [
    new Response(JSON.stringify({ schedule_string: "" }), { status: 200 }),
    new Response(JSON.stringify({ error: "loras[0].lora_name: LoRA 'gone' not found", field: "loras[0].lora_name" }), { status: 404 }),
    new Response("<html>not json</html>", { status: 502 }),
  ];
  const api = new EditorApi({ fetchApi: async (url, init) => { calls.push({ url, init }); return /** @type {Response} */ (answers.shift()); },
    apiURL: (route) => `/api${route}` });
  const body = { loras: [{ lora_name: "a", strength_model: 1, strength_clip: 1 }], policy: "budget", headroom: 1 };
  assert.deepEqual(await api.combine(body), { schedule_string: "" });
  assert.equal(calls[0].url, "/mad-nodes/combine");
  assert.equal(calls[0].init.method, "POST");
  assert.deepEqual(JSON.parse(calls[0].init.body), body);
  await assert.rejects(api.combine(body), { message: "combine: loras[0].lora_name: LoRA 'gone' not found" });
  await assert.rejects(api.combine(body), { message: "combine: HTTP 502" });
});

test("the colour scale stretches to the largest requested share, so a cut stays visible among many LoRAs", () => {
  const even = (n) => Array.from({ length: n }, () => 1);
  const block = { id: "input_4", label: "IN04", group: "", budget: 2, requested: even(4), achieved: [1, 1, 0.5, 0.25],
    requestedTotal: 2, achievedTotal: 1.5, cosines: [] };
  const layout = heatLayout({ loras: even(4).map((_, i) => ({ name: `l${i}`, color: "#000000" })), blocks: [block] }, 400, 300);
  assert.equal(layout.scaleMax, 0.25);
  const colors = (kind) => layout.cells.filter((c) => c.kind === kind).map((c) => c.color);
  assert.deepEqual(colors("requested"), even(4).map(() => shareColor(1)), "each has a quarter: the top of the scale");
  assert.deepEqual(colors("achieved"), [shareColor(1), shareColor(1), shareColor(0.5), shareColor(0.25)]);
  assert.deepEqual(layout.cells.filter((c) => c.kind === "achieved").map((c) => c.value), [0.25, 0.25, 0.125, 0.0625],
    "the value is still the share");
});
