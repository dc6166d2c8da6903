// The LoRA picker's pure parts: filter menus from the library facets, pages, compatibility hints and the
// bounded hint queue; the API's facet fetch; which checkpoint the hints compare with.
import { test } from "node:test";
import assert from "node:assert/strict";

import { EditorApi } from "../../web/lib/api.js";
import { compatHint, filterChoices, HintQueue, pageCount, parsePage } from "../../web/lib/picker_model.js";
import { graphCheckpoint } from "../../web/editor/node_widget.js";

const STATUS = { scanning: false, index: { total: 9, family: { SD15: 2, SDXL: 5, FLUX: 2 },
  role: { character: 4, style: 3, other: 2 } } };
const ROLES = { version: 1, roles: ["character", "style", "concept", "pose", "detail", "clothing", "background", "other"] };

test("family menu lists the index's families, most used first, with counts", () => {
  const { families } = filterChoices(STATUS, ROLES);
  assert.deepEqual(families.map((f) => f.value), ["SDXL", "FLUX", "SD15"]);
  assert.equal(families[0].label, "SDXL (5)");
});

test("role menu follows the role table's order and keeps roles no LoRA has, at 0", () => {
  const { roles } = filterChoices(STATUS, ROLES);
  assert.deepEqual(roles.map((r) => r.value), ROLES.roles);
  assert.equal(roles.find((r) => r.value === "concept")?.label, "concept (0)");
  assert.equal(roles.find((r) => r.value === "character")?.count, 4);
  assert.deepEqual(filterChoices(null, null), { families: [], roles: [] }, "no library: no menus");
});

test("pages of a 10k library, and a typed page number clamped", () => {
  assert.equal(pageCount(10_000, 50), 200);
  assert.equal(pageCount(0, 50), 1);
  assert.equal(parsePage("73", 200), 73);
  assert.equal(parsePage("9999", 200), 200);
  assert.equal(parsePage("0", 200), 1);
  assert.equal(parsePage("abc", 200), null);
});

test("compatibility hint wording", () => {
  assert.equal(compatHint({ status: "ok", compatible: true, ckpt_arch: "SDXL" }).kind, "ok");
  const bad = compatHint({ status: "ok", compatible: false, ckpt_arch: "SDXL", message: "This LoRA is for SD15" });
  assert.deepEqual([bad.kind, bad.title], ["bad", "This LoRA is for SD15"]);
  assert.equal(compatHint({ status: "error", message: "Checkpoint not found" }).kind, "none");
  assert.equal(compatHint(null).kind, "none");
});

/** A queue whose jobs finish when the test says so. */
function manualQueue(limit) {
  const started = [];
  const finish = new Map();
  const queue = new HintQueue((key) => new Promise((resolve) => { started.push(key); finish.set(key, resolve); }), limit);
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return { queue, started, finish: async (key) => { finish.get(key)(); await settle(); } };
}

test("hint queue: at most `limit` requests at once, each key once, hovered key first", async () => {
  const { queue, started, finish } = manualQueue(2);
  for (const k of ["a", "b", "c", "d", "e", "a", "b"]) queue.add(k);
  assert.deepEqual(started, ["a", "b"]);
  queue.prioritise("e");
  await finish("a");
  assert.deepEqual(started, ["a", "b", "e"], "the hovered row jumps the queue");
  queue.prioritise("z"); // hovered but never queued
  await finish("b");
  assert.deepEqual(started, ["a", "b", "e", "z"]);
  await finish("e");
  await finish("z");
  assert.deepEqual(started, ["a", "b", "e", "z", "c", "d"]);
});

test("hint queue: a new page drops the old queue; stop ends all requests", async () => {
  const { queue, started, finish } = manualQueue(1);
  ["a", "b", "c"].forEach((k) => queue.add(k));
  queue.reset();
  queue.add("x");
  queue.add("b"); // dropped keys may be asked for again
  await finish("a");
  assert.deepEqual(started, ["a", "x"]);
  queue.stop();
  await finish("x");
  queue.add("y");
  assert.deepEqual(started, ["a", "x"], "nothing runs after stop");
});

test("libraryFacets: status each time, role table once; nulls without a library", async () => {
  const calls = [];
  const answer = { "/mad-nodes/library/status": STATUS, "/mad-nodes/library/roles": ROLES };
  const api = new EditorApi({ apiURL: (route) => `/api${route}`, fetchApi: async (url) => {
    calls.push(url);
    return { ok: url in answer, status: url in answer ? 200 : 404, json: async () => structuredClone(answer[url]) };
  } });
  assert.deepEqual(await api.libraryFacets(), { status: STATUS, roles: ROLES });
  await api.libraryFacets();
  assert.deepEqual(calls.filter((c) => c.endsWith("/roles")).length, 1);
  assert.equal(calls.filter((c) => c.endsWith("/status")).length, 2);
  const none = new EditorApi({ apiURL: (route) => `/api${route}`,
    fetchApi: async () => ({ ok: false, status: 404, json: async () => ({}) }) });
  assert.deepEqual(await none.libraryFacets(), { status: null, roles: null });
});

test("search passes family and role filters to the library route and keeps the scan state", async () => {
  const urls = [];
  const api = new EditorApi({ apiURL: (route) => `/api${route}`, fetchApi: async (url) => {
    urls.push(url);
    return { ok: true, status: 200, json: async () => ({ total: 1, page: 1, page_size: 50, items: [{ name: "a" }],
      scan: { scanning: true } }) };
  } });
  const result = await api.search({ query: "ink", family: "SDXL", role: "style" });
  const params = new URL(urls[0], "http://x").searchParams;
  assert.deepEqual([params.get("q"), params.get("family"), params.get("role")], ["ink", "SDXL", "style"]);
  assert.equal(result.scan.scanning, true);
});

/** A litegraph-like graph: nodes with widgets, links by id. */
function graphOf(nodes, links = {}) {
  const graph = { _nodes: nodes, links, getNodeById: (id) => nodes.find((n) => n.id === id) };
  for (const n of nodes) n.graph = graph;
  return graph;
}

test("hints compare with the checkpoint wired to the node, else the graph's checkpoint loader", () => {
  const loraNode = { id: 1, comfyClass: "MultiScheduledLoraLoader", widgets: [], inputs: [{ type: "MODEL", link: null }] };
  const ckptA = { id: 2, comfyClass: "CheckpointLoaderSimple", widgets: [{ name: "ckpt_name", value: "a.safetensors" }] };
  const ckptB = { id: 3, comfyClass: "CheckpointLoaderSimple", widgets: [{ name: "ckpt_name", value: "b.safetensors" }] };
  graphOf([loraNode, ckptA, ckptB]);
  assert.equal(graphCheckpoint(loraNode), "a.safetensors", "unwired: the first loader of the graph");
  loraNode.inputs[0].link = 7;
  graphOf([loraNode, ckptA, ckptB], { 7: { origin_id: 3 } });
  assert.equal(graphCheckpoint(loraNode), "b.safetensors", "wired: the loader feeding MODEL");
  const alone = { id: 1, widgets: [], inputs: [] };
  graphOf([alone]);
  assert.equal(graphCheckpoint(alone), null);
});
