// @ts-check
/**
 * Library tab scroll bench (driven by bench/library_tab.py): in real ComfyUI with the tab open over a large
 * index, scroll the list from top to bottom one step per frame (thumbnails on), then jump to random
 * positions (as a scrollbar drag does). Measured in the page: frame intervals (fps, p95), long tasks from
 * the performance timeline (PerformanceObserver 'longtask'), cells in the DOM. Baseline, same page, same
 * run: a plain scroller of the same height holding the same number of static rows, scrolled the same way.
 * usage: node bench/library_tab.mjs http://127.0.0.1:PORT
 */
import { createRequire } from "node:module";
import { summariseTrace, traceLines } from "./trace_summary.mjs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { readFileSync } from "node:fs";
// The sidebar button of the tab: a class in frontend 1.32, a data-testid in 1.5x.
const TAB_BUTTON = '.lwb-lora-library-tab-button, [data-testid="lwb-lora-library-tab-button"]';

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(path.join(here, "../tests/browser/package.json"))("playwright-core");
const { CHROMIUM_ARGS } = await import(path.join(here, "../tests/browser/launch.mjs"));

const [baseUrl, tracePath] = process.argv.slice(2);
// DevTools' own performance-panel categories: tasks, pipeline stages (style, layout, paint, layerize, commit), script
const TRACE_CATEGORIES = ["-*", "toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline",
  "disabled-by-default-devtools.timeline.frame", "v8.execute", "blink.user_timing"];
const FRAMES = 400;
const STEP_PX = 240;
const JUMPS = 30;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: CHROMIUM_ARGS });

/** ComfyUI in a fresh browser context (cold caches), the tab opened. */
async function openTab() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const p = await context.newPage();
  await p.goto(baseUrl, { waitUntil: "domcontentloaded" });
  await p.waitForFunction(() => window["__loraWeightsBuilder"], null, { timeout: 120000 });
  await p.click(TAB_BUTTON);
  await p.waitForSelector("[data-role=lora-library][data-ready]", { timeout: 120000 });
  return p;
}
const page = await openTab();

/** Scroll `selector` one step per frame; frame intervals and long tasks while doing it. */
const scrollRun = (/** @type {string} */ selector, on = page) => on.evaluate(async ([sel, frames, step, jumps]) => {
  const el = /** @type {HTMLElement} */ (document.querySelector(sel));
  /** @type {number[]} */
  const longTasks = [];
  /** @type {number[]} start times of the long tasks */
  const longStarts = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { longTasks.push(e.duration); longStarts.push(e.startTime); }
  });
  observer.observe({ type: "longtask" });
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  el.scrollTop = 0; // every run (measured or traced) scrolls the same path
  await frame();
  await frame();
  /** @type {number[]} */
  const intervals = [];
  let last = await frame();
  let maxCells = 0;
  for (let i = 0; i < frames; i++) {
    el.scrollTop = (el.scrollTop + step) % Math.max(1, el.scrollHeight - el.clientHeight);
    const now = /** @type {number} */ (await frame());
    intervals.push(now - last);
    last = now;
    maxCells = Math.max(maxCells, el.children.length);
  }
  /** @type {number[]} */
  const jumpsMs = [];
  const jumpsFrom = performance.now();
  for (let i = 0; i < jumps; i++) {
    el.scrollTop = Math.floor(((i * 7919) % 1000) / 1000 * (el.scrollHeight - el.clientHeight));
    const started = performance.now();
    // bound: every visible card shows a LoRA (its page arrived), or the baseline's rows exist
    for (let k = 0; k < 600; k++) {
      await frame();
      const cards = [...el.querySelectorAll(".lwb-card")].filter((c) => /** @type {HTMLElement} */ (c).style.display !== "none");
      if (!cards.length || cards.every((c) => /** @type {HTMLElement} */ (c).dataset.name)) break;
    }
    jumpsMs.push(performance.now() - started);
  }
  await frame();
  observer.disconnect();
  const sorted = [...intervals].sort((a, b) => a - b);
  const mean = intervals.reduce((a, b) => a + b, 0) / intervals.length;
  const jumpSorted = [...jumpsMs].sort((a, b) => a - b);
  return { fps: 1000 / mean, p95: sorted[Math.floor(sorted.length * 0.95)], worst: sorted.at(-1), longTasks: longTasks.length,
    longestTask: longTasks.length ? Math.max(...longTasks) : 0, maxCells,
    longInScroll: longStarts.filter((t) => t < jumpsFrom).length,
    jumpP50: jumpSorted[Math.floor(jumpSorted.length / 2)], jumpP95: jumpSorted[Math.floor(jumpSorted.length * 0.95)] };
}, [selector, FRAMES, STEP_PX, JUMPS]);

const info = await page.evaluate(() => ({
  total: Number(document.querySelector("[data-role=library-count]")?.getAttribute("data-total")),
  height: document.querySelector("[data-role=library-grid]")?.scrollHeight,
}));
// Baseline: a plain scroller as tall as the tab's list, with as many static rows as the tab keeps.
await page.evaluate((height) => {
  const grid = /** @type {HTMLElement} */ (document.querySelector("[data-role=library-grid]"));
  const box = grid.getBoundingClientRect();
  const base = document.createElement("div");
  base.id = "lwb-bench-baseline";
  Object.assign(base.style, { position: "fixed", left: `${box.left + box.width + 600}px`, top: `${box.top}px`,
    width: `${box.width}px`, height: `${box.height}px`, overflowY: "auto", background: "#222" });
  const spacer = document.createElement("div");
  spacer.style.height = `${height}px`;
  base.append(spacer);
  for (let i = 0; i < 20; i++) {
    const row = document.createElement("div");
    Object.assign(row.style, { position: "sticky", top: `${i * 52}px`, height: "52px", color: "#ddd" });
    row.textContent = `row ${i}`;
    base.append(row);
  }
  document.body.append(base);
}, info.height);

const baseline = await scrollRun("#lwb-bench-baseline");
const tab = await scrollRun("[data-role=library-grid]");
const fmt = (/** @type {number} */ v) => v.toFixed(1);
console.log(`library tab scroll over ${info.total} LoRAs (${FRAMES} frames of ${STEP_PX}px, thumbnails on, then ${JUMPS} random jumps)`);
console.log(`  baseline plain scroller: ${fmt(baseline.fps)} fps, p95 frame ${fmt(baseline.p95)} ms, worst ${fmt(baseline.worst)} ms, ` +
  `long tasks ${baseline.longTasks} (longest ${fmt(baseline.longestTask)} ms)`);
console.log(`  library tab:             ${fmt(tab.fps)} fps, p95 frame ${fmt(tab.p95)} ms, worst ${fmt(tab.worst)} ms, ` +
  `long tasks ${tab.longTasks} (longest ${fmt(tab.longestTask)} ms; ${tab.longInScroll} while scrolling, ` +
  `${tab.longTasks - tab.longInScroll} in the jumps), at most ${tab.maxCells} cells in the DOM`);
console.log(`  fps ratio tab/baseline: ${(tab.fps / baseline.fps).toFixed(2)}; random jump to bound cards: p50 ${fmt(tab.jumpP50)} ms, ` +
  `p95 ${fmt(tab.jumpP95)} ms (page fetched from the route)`);
console.log(`  target: no long task over 50 ms: ${tab.longestTask <= 50 ? "met" : "NOT met"}`);
if (tracePath) {
  // the baseline under the Chromium trace (what a plain scroll costs in this page), then the tab run again in a
  // fresh browser context (as cold as the measured run; the server's caches are warm), the first page closed
  // so that only one ComfyUI page runs: what the long tasks were made of
  const basePath = tracePath.replace(/(\.json)?$/, ".baseline.json");
  await browser.startTracing(page, { path: basePath, categories: TRACE_CATEGORIES });
  await scrollRun("#lwb-bench-baseline");
  await browser.stopTracing();
  const base = summariseTrace(JSON.parse(readFileSync(basePath, "utf8")));
  await page.context().close();
  const fresh = await openTab();
  await browser.startTracing(fresh, { path: tracePath, categories: TRACE_CATEGORIES });
  const traced = await scrollRun("[data-role=library-grid]", fresh);
  await browser.stopTracing();
  console.log(`  traced tab run: ${fmt(traced.fps)} fps, long tasks ${traced.longTasks} (longest ${fmt(traced.longestTask)} ms; ` +
    `${traced.longInScroll} while scrolling); trace in ${tracePath}`);
  for (const line of traceLines(summariseTrace(JSON.parse(readFileSync(tracePath, "utf8"))))) console.log(line);
  console.log(`  traced baseline run, ms per stage: ${base.all.map(([name, ms]) => `${name} ${fmt(ms)}`).join(", ")}`);
}
await browser.close();
