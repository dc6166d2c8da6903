// Picker timing in real ComfyUI (run by bench/editor_picker.py, which builds the 10k library and boots ComfyUI).
// The picker is opened in the ComfyUI page from the pack's served modules; each of 20 queries is timed from
// the query to its first page in the DOM, and to the next frame; baseline: fetch + JSON of the same search URL.
// usage: node bench/editor_picker.mjs http://127.0.0.1:PORT PACK_FOLDER_NAME
import { openComfyPage } from "../tests/browser/launch.mjs";

const [baseUrl, packFolder] = process.argv.slice(2);
const QUERIES = [
  { q: "aiko" }, { q: "watercolor" }, { family: "SDXL" }, { role: "style" }, { q: "knight armor" },
  { q: "portrait", family: "SD15" }, { page: 100 }, { q: "neon" }, { family: "FLUX.1", role: "character" },
  { q: "pi" }, { role: "concept" }, { q: "glass", role: "concept" }, { page: 150 }, { q: "film grain" },
  { family: "SD15" }, { q: "ranger" }, { q: "" }, { page: 199 }, { q: "dancer", family: "SDXL" }, { q: "ink" },
];

const { browser, page, pageErrors } = await openComfyPage(baseUrl);
try {
  await page.waitForFunction(() => window["__loraWeightsBuilder"], null, { timeout: 120000 });
  const result = await page.evaluate(async ({ base, queries }) => {
    const { openPicker, SEARCH_DELAY_MS, PAGE_SIZE } = await import(`${base}/editor/lora_picker.js`);
    const { EditorApi } = await import(`${base}/lib/api.js`);
    const api = new EditorApi((url, init) => fetch(url, init));
    /** @type {((info: any) => void) | null} */
    let rendered = null;
    const next = () => new Promise((resolve) => { rendered = resolve; });
    const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    let first = next();
    const picker = openPicker({ api, title: "bench", searchDelayMs: 0, onPick() {}, onRendered: (info) => rendered?.(info) });
    const firstInfo = await first;
    const el = picker.element;
    const family = el.querySelector("[data-role=picker-family]");
    const role = el.querySelector("[data-role=picker-role]");
    const pageInput = el.querySelector("[data-role=picker-page]");
    for (let i = 0; i < 100 && family.options.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const toDom = [], toFrame = [], baseline = [], totals = [];
    for (const warm of [{ q: "warm" }, { q: "" }]) { first = next(); picker.search(warm.q); await first; }
    for (const query of queries) {
      let url;
      const t0 = performance.now();
      first = next();
      if (query.page) {
        pageInput.value = String(query.page);
        pageInput.dispatchEvent(new Event("change"));
      } else {
        family.value = query.family ?? "";
        role.value = query.role ?? "";
        picker.search(query.q ?? "");
      }
      const info = await first;
      const t1 = performance.now();
      await frame();
      const t2 = performance.now();
      url = `/mad-nodes/library/search?${new URLSearchParams({ q: el.querySelector("[data-role=picker-search]").value,
        page: String(info.page), page_size: String(PAGE_SIZE), ...(family.value ? { family: family.value } : {}),
        ...(role.value ? { role: role.value } : {}) })}`;
      const b0 = performance.now();
      await (await fetch(url)).json();
      baseline.push(performance.now() - b0);
      toDom.push(t1 - t0); toFrame.push(t2 - t0); totals.push(info.total);
    }
    picker.close();
    return { toDom, toFrame, baseline, totals, libraryTotal: firstInfo.total, debounce: SEARCH_DELAY_MS,
      rows: document.querySelectorAll(".lwb-picker-item").length };
  }, { base: `/extensions/${packFolder}`, queries: QUERIES });
  const stats = (/** @type {number[]} */ xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)], max: s.at(-1) };
  };
  const dom = stats(result.toDom), paint = stats(result.toFrame), base = stats(result.baseline);
  const f = (/** @type {number} */ x) => x.toFixed(1);
  console.log(`library: ${result.libraryTotal} LoRAs; ${QUERIES.length} queries, results ${Math.min(...result.totals)}..${Math.max(...result.totals)}`);
  console.log(`query -> first page in the DOM: median ${f(dom.median)} ms, p95 ${f(dom.p95)} ms, max ${f(dom.max)} ms`);
  console.log(`query -> next frame painted:    median ${f(paint.median)} ms, p95 ${f(paint.p95)} ms (target < 150 ms: ${paint.p95 < 150 ? "met" : "MISSED"})`);
  console.log(`baseline fetch + JSON of the same search: median ${f(base.median)} ms, p95 ${f(base.p95)} ms; `
    + `picker/baseline median ratio ${(dom.median / base.median).toFixed(2)}x`);
  console.log(`typing adds the ${result.debounce} ms debounce; Enter, a filter or a page button search at once`);
  if (pageErrors.length) console.log(`page errors: ${pageErrors.join("\n")}`);
} finally {
  await browser.close();
}
