// The library tab's thumbnail queue (which card gets which image and when) and the grid's bind order. Loads are promises the test
// resolves by hand, so what was started, in which order, and what each card shows are checked exactly.
import { test } from "node:test";
import assert from "node:assert/strict";

import { ThumbnailQueue } from "../../web/lib/thumbnail_queue.js";

/** A queue whose loads wait for the test; `shown` is what each target displays. @param {number} [maxInFlight] */
function harness(maxInFlight = 2, keep = 3) {
  /** @type {{url: string, resolve: (v?: unknown) => void, reject: (e: Error) => void}[]} */
  const started = [];
  /** @type {Map<string, string>} */
  const shown = new Map();
  const queue = new ThumbnailQueue({
    maxInFlight, keep,
    load: (url) => new Promise((resolve, reject) => started.push({ url, resolve, reject })),
    apply: (/** @type {string} */ target, url, ok) => shown.set(target, ok ? url : "broken"),
  });
  const settle = () => new Promise((r) => setImmediate(r));
  return { queue, started, shown, settle };
}

test("at most maxInFlight images load at once, the most recently shown cards first", async () => {
  const { queue, started, settle } = harness(2);
  queue.setPaused(true);
  for (const card of ["a", "b", "c", "d"]) assert.equal(queue.want(card, `/${card}.png`), false);
  queue.setPaused(false);
  assert.deepEqual(started.map((s) => s.url), ["/d.png", "/c.png"]);
  started[0].resolve();
  await settle();
  assert.deepEqual(started.map((s) => s.url), ["/d.png", "/c.png", "/b.png"]);
});

test("a card gets its image only once decoded, and never an image it no longer wants", async () => {
  const { queue, started, shown, settle } = harness(4);
  queue.want("card", "/old.png");
  assert.equal(shown.get("card"), undefined);
  queue.want("card", "/new.png"); // rebound to another LoRA before the first image arrived
  started[0].resolve();
  await settle();
  assert.equal(shown.get("card"), undefined);
  started[1].resolve();
  await settle();
  assert.equal(shown.get("card"), "/new.png");
  queue.want("other", "/gone.png");
  queue.want("other", ""); // scrolled out of view
  started[2].resolve();
  await settle();
  assert.equal(shown.get("other"), undefined);
  assert.equal(queue.waiting, 0);
});

test("nothing is fetched while paused; a known image still shows at once", async () => {
  const { queue, started, shown, settle } = harness(2);
  queue.want("a", "/a.png");
  started[0].resolve();
  await settle();
  queue.setPaused(true);
  assert.equal(queue.want("b", "/a.png"), true);
  assert.equal(shown.get("b"), "/a.png");
  assert.equal(queue.want("c", "/c.png"), false);
  assert.equal(started.length, 1);
  queue.setPaused(false);
  assert.deepEqual(started.map((s) => s.url), ["/a.png", "/c.png"]);
});

test("a failed image shows the placeholder, once, for every card that wanted it", async () => {
  const { queue, started, shown, settle } = harness(2);
  queue.want("a", "/x.png");
  queue.want("b", "/x.png");
  assert.equal(started.length, 1);
  started[0].reject(new Error("404"));
  await settle();
  assert.equal(shown.get("a"), "broken");
  assert.equal(shown.get("b"), "broken");
  assert.equal(queue.want("c", "/x.png"), true); // not fetched again
  assert.equal(started.length, 1);
});

test("only the last `keep` images are remembered", async () => {
  const { queue, started, settle } = harness(8, 2);
  for (const u of ["/1", "/2", "/3"]) queue.want(`t${u}`, u);
  for (const s of started) s.resolve();
  await settle();
  assert.equal(queue.want("x", "/3"), true);
  assert.equal(queue.want("y", "/2"), true);
  assert.equal(queue.want("z", "/1"), false); // forgotten: fetched again
  assert.equal(started.length, 4);
});

test("the grid binds every cell of the window once, the on-screen ones first", async () => {
  const { bindOrder, visibleRange } = await import("../../web/lib/library_window.js");
  for (const scrollTop of [0, 37, 5000, 155990]) {
    for (const columns of [1, 3]) {
      const o = { scrollTop, viewportHeight: 700, rowHeight: 52, columns, total: 9000 };
      const range = visibleRange(o);
      const onScreen = visibleRange({ ...o, overscan: 0 });
      const order = Array.from({ length: range.lastIndex - range.firstIndex }, (_, k) => bindOrder(k, range, onScreen));
      const all = Array.from({ length: range.lastIndex - range.firstIndex }, (_, i) => range.firstIndex + i);
      assert.deepEqual([...order].sort((a, b) => a - b), all, "each cell exactly once");
      const seen = onScreen.lastIndex - onScreen.firstIndex;
      // brute force: on screen = the items whose row overlaps [scrollTop, scrollTop + viewport)
      const visible = all.filter((i) => {
        const top = Math.floor(i / columns) * 52;
        return top + 52 > scrollTop && top < scrollTop + 700;
      });
      assert.deepEqual([...order.slice(0, seen)].sort((a, b) => a - b), visible);
    }
  }
});
