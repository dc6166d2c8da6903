// @ts-check
/**
 * The editor's staircase against what ComfyUI's KSampler applied: a graph of the test pack's tiny recording
 * model -> Multi Scheduled LoRA Loader -> KSampler -> LWBTestAppliedStrengths is queued from the frontend
 * (SDXL karras 20 steps, then FLUX simple 20 steps); /history holds the strength of every model evaluation
 * and the Hooks Report's staircase for the same settings.
 * The editor, opened on the same graph with the family picked, shows its staircase. Prints one JSON object.
 * usage: node tests/browser/staircase_history.mjs http://127.0.0.1:PORT LORA_NAME
 */
import { queueAndRead, startupSettled } from "./editor_helpers.mjs";
import { openComfyPage } from "./launch.mjs";

const [baseUrl, loraName] = process.argv.slice(2);
const POINTS = [{ x: 0.1, y: 0.2 }, { x: 0.35, y: 1 }, { x: 0.6, y: 0.3 }, { x: 0.85, y: 0.9 }];
const CASES = [{ family: "SDXL", scheduler: "karras" }, { family: "FLUX", scheduler: "simple" }];
const { browser, page, pageErrors } = await openComfyPage(baseUrl);
/** @type {Record<string, any>} */
const out = { runs: {} };

try {
  // The frontend loads its startup workflow after start-up; replacing the graph before that loses our nodes.
  await startupSettled(page);
  await page.evaluate(async ({ lora, points }) => {
    const app = window["app"]; const LG = window["LiteGraph"];
    for (const n of [...app.graph._nodes]) app.graph.remove(n);
    const add = (/** @type {string} */ type, /** @type {number} */ x, /** @type {number} */ y) => {
      const n = LG.createNode(type); n.pos = [x, y]; app.graph.add(n); return n;
    };
    const tiny = add("LWBTestTinyRecordingModel", 20, 40);
    const loader = add("MultiScheduledLoraLoader", 300, 40);
    const cond = add("LWBTestEmptyConditioning", 20, 300);
    const latent = add("EmptyLatentImage", 20, 420);
    const sampler = add("KSampler", 700, 40);
    const report = add("LWBTestAppliedStrengths", 1050, 40);
    const hooksReport = add("LoraWeightsBuilderHooksReport", 700, 400);
    const preview = add("PreviewAny", 1050, 400);
    tiny.connect(0, loader, "model");
    loader.connect(0, sampler, "model");
    cond.connect(0, sampler, "positive");
    cond.connect(0, sampler, "negative");
    latent.connect(0, sampler, "latent_image");
    tiny.connect(0, report, "model");
    sampler.connect(0, report, "samples");
    loader.connect(1, hooksReport, "hooks");
    hooksReport.connect(0, preview, 0);
    const set = (/** @type {any} */ node, /** @type {string} */ name, /** @type {any} */ value) => {
      node.widgets.find((/** @type {any} */ w) => w.name === name).value = value;
    };
    set(latent, "width", 64); set(latent, "height", 64);
    set(sampler, "steps", 20); set(sampler, "cfg", 1); set(sampler, "sampler_name", "euler"); set(sampler, "seed", 0);
    set(report, "lora_name", lora);
    set(loader, "schedule_config", JSON.stringify([{ lora_name: lora, strength_model: 1, strength_clip: 1, enabled: true,
      points, vectors: {} }]));
    window["__lwbStair"] = { tiny, loader, sampler, hooksReport, set };
  }, { lora: loraName, points: POINTS });

  for (const { family, scheduler } of CASES) {
    await page.evaluate(({ family, scheduler }) => {
      const { tiny, sampler, hooksReport, set } = window["__lwbStair"];
      set(tiny, "family", family);
      set(sampler, "scheduler", scheduler);
      set(hooksReport, "staircase_family", family);
      set(hooksReport, "sampler_name", "euler");
      set(hooksReport, "scheduler", scheduler);
      set(hooksReport, "steps", 20);
    }, { family, scheduler });
    const ran = await queueAndRead(page, baseUrl);
    // The editor on the same graph: it reads the KSampler's settings; the family is picked (no checkpoint).
    await page.evaluate(() => window["__lwbStair"].loader.lwbEditor.openEditor());
    await page.waitForSelector(".lwb-editor");
    await page.waitForFunction(() => document.querySelectorAll("[data-role=preview-family] option").length > 1, null,
      { timeout: 30000 });
    await page.selectOption("[data-role=preview-family]", family);
    await page.waitForFunction((f) => {
      const el = /** @type {HTMLElement | null} */ (document.querySelector("[data-role=staircase-text]"));
      return el?.dataset.exact === "true" && (el.textContent ?? "").includes(`${f} · `);
    }, family, { timeout: 60000 });
    const parsed = ran.texts.map((t) => { try { return JSON.parse(t); } catch { return null; } }).filter(Array.isArray);
    out.runs[`${family} ${scheduler}`] = {
      status: ran.status,
      applied: parsed.find((a) => Array.isArray(a[0])) ?? null,
      hooksReport: parsed.find((a) => a[0] && !Array.isArray(a[0])) ?? null,
      shown: await page.textContent("[data-role=staircase-text]"),
      sampler: await page.inputValue("[data-role=preview-sampler]"),
      scheduler: await page.inputValue("[data-role=preview-scheduler]"),
      steps: await page.inputValue("[data-role=steps]"),
    };
    await page.keyboard.press("Escape");
    await page.waitForSelector(".lwb-editor", { state: "detached" });
  }
} catch (err) {
  out.error = String(err && /** @type {Error} */ (err).stack || err);
}
out.pageErrors = pageErrors;
await browser.close();
console.log(JSON.stringify(out));
