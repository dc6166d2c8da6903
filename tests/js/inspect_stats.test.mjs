// Inspect answers that say `stats_pending` and the `lwb.inspect.stats` event that completes them.
import { test } from "node:test";
import assert from "node:assert/strict";

import { MetadataCache, answerFromStatsEvent, memoryStorage } from "../../web/lib/metadata_cache.js";

function fakeFetch(table) {
  const calls = [];
  const fn = async (url) => {
    calls.push(url);
    const key = Object.keys(table).find((k) => url.startsWith(k));
    const [status, body] = key ? table[key] : [404, {}];
    return { ok: status >= 200 && status < 300, status, json: async () => structuredClone(body) };
  };
  return Object.assign(fn, { calls });
}

const PENDING = { arch: "SDXL", stats_pending: true, fingerprint: "f1" };
const EVENT = { lora_name: "slow.safetensors", fingerprint: "f1", arch: "SDXL", stats: { energy_distribution: { output_1: 1 } } };

test("a pending answer is never stored; the event's stats are, and a later read gets them without a request", async () => {
  const storage = memoryStorage();
  const fetch = fakeFetch({ "/mad-nodes/inspect-lora?lora_name=slow": [200, PENDING] });
  const cache = new MetadataCache({ storage, fetch });
  assert.deepEqual(await cache.inspect("slow.safetensors"), PENDING);
  assert.deepEqual(await storage.getAll(), [], "nothing stored while pending");
  const body = await cache.statsArrived(EVENT);
  assert.deepEqual(body, { arch: "SDXL", stats: EVENT.stats, fingerprint: "f1" });
  assert.deepEqual(await storage.getAll(), [["inspect:slow.safetensors", body]]);
  const calls = fetch.calls.length;
  assert.deepEqual(await cache.inspect("slow.safetensors"), body);
  assert.equal(fetch.calls.length, calls);
});

test("an event that beats its HTTP answer completes the answer", async () => {
  const cache = new MetadataCache({ storage: memoryStorage(),
    fetch: fakeFetch({ "/mad-nodes/inspect-lora?lora_name=slow": [200, PENDING] }) });
  await cache.statsArrived(EVENT);
  cache.mirror.clear(); // as if the stored copy were gone: the answer itself must be completed
  assert.deepEqual(await cache.inspect("slow.safetensors"), { arch: "SDXL", stats: EVENT.stats, fingerprint: "f1" });
});

test("a stats error from the event is shown but not stored; other fingerprints are not mixed up", async () => {
  const storage = memoryStorage();
  const cache = new MetadataCache({ storage, fetch: fakeFetch({}) });
  const failed = await cache.statsArrived({ lora_name: "a", fingerprint: "f9", arch: "SDXL", stats_error: "a: changed" });
  assert.deepEqual(failed, { arch: "SDXL", stats_error: "a: changed", fingerprint: "f9" });
  assert.deepEqual(await storage.getAll(), []);
  assert.equal(cache.settled("a", { ...PENDING, fingerprint: "other" }).stats_pending, true);
  assert.equal(answerFromStatsEvent({ fingerprint: "x" }), null, "not an event of ours");
  assert.equal(await cache.statsArrived(null), null);
});
