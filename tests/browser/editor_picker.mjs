// @ts-check
/**
 * The LoRA picker and profiles in the real ComfyUI frontend, over the demo library: search, family and
 * role filters, compatibility hints against the graph's checkpoint, preview on hover (blob URLs revoked),
 * then profiles created, renamed and switched, each saved and queued: what ran is read from /history.
 * Prints one JSON object for the pytest wrapper.
 * usage: node tests/browser/editor_picker.mjs http://127.0.0.1:PORT OUT_DIR CKPT_NAME
 */
import { openComfyPage } from "./launch.mjs";
import { idbKeys, queueAndRead, startupSettled } from "./editor_helpers.mjs";

const [baseUrl, outDir, ckptName] = process.argv.slice(2);
const AIKO = "characters/aiko_sdxl.safetensors";
const RANGER = "characters/ranger_sd15.safetensors";
const DANCER = "characters/dancer_wan.safetensors"; // no preview
const { browser, page, pageErrors } = await openComfyPage(baseUrl);
/** @type {Record<string, any>} */
const out = {};
/** @type {string[]} */
const compatRequests = [];
/** @type {string[]} */
const previewRequests = [];
/** Every request of the pack, with the Comfy-User header it carried. @type {{path: string, user: string | null}[]} */
const packRequests = [];
// ComfyUI's API helper sends this user in a Comfy-User header (a multi-user server sets it at login).
const USER = "lwb-picker-user";
await page.evaluate((user) => { window["comfyAPI"].api.api.user = user; }, USER);
page.on("request", (r) => {
  const url = new URL(r.url());
  if (url.pathname.includes("/mad-nodes/")) packRequests.push({ path: url.pathname, user: r.headers()["comfy-user"] ?? null });
  if (url.pathname === "/api/mad-nodes/check-compatibility") compatRequests.push(url.searchParams.get("lora_name") ?? "");
  if (url.pathname === "/api/mad-nodes/lora-preview") previewRequests.push(url.searchParams.get("lora_name") ?? "");
});
const shot = (/** @type {string} */ name) => page.screenshot({ path: `${outDir}/${name}.png` });
const configValue = () => page.evaluate(() => window["__lwbNode"].widgets.find((w) => w.name === "schedule_config").value);

/** How many searches the open picker has shown. */
const searchesShown = () => page.evaluate(() => Number(document.querySelector("[data-role=picker-list]")?.getAttribute("data-searches") ?? 0));

/**
 * Wait for the picker to show a finished search newer than `after` (a count from `searchesShown`);
 * returns its status text and rows.
 */
async function settled(after = 0) {
  await page.waitForFunction((n) => /^\d+ LoRAs/.test(document.querySelector("[data-role=picker-status]")?.textContent ?? "")
    && Number(document.querySelector("[data-role=picker-list]")?.getAttribute("data-searches") ?? 0) > n,
  after, { timeout: 30000 }).catch(async (err) => {
    const shown = await page.textContent("[data-role=picker-status]").catch(() => null);
    throw new Error(`the picker did not settle (status ${JSON.stringify(shown)}): ${err.message}`);
  });
  return page.evaluate(() => ({
    status: document.querySelector("[data-role=picker-status]")?.textContent,
    rows: [...document.querySelectorAll(".lwb-picker-item")].map((r) => ({
      name: r.querySelector(".lwb-picker-name")?.textContent,
      arch: r.querySelector("[data-role=arch-badge]")?.textContent ?? null,
      role: r.querySelector("[data-role=role-badge]")?.textContent ?? null,
      hint: /** @type {HTMLElement} */ (r.querySelector("[data-role=compat-hint]")).dataset.kind ?? null,
    })),
  }));
}

/** Type a query (the picker searches after its debounce) and wait for that search's result. */
async function search(/** @type {string} */ query) {
  const before = await searchesShown();
  await page.fill("[data-role=picker-search]", query);
  return settled(before);
}

async function choose(/** @type {string} */ selector, /** @type {string} */ value) {
  const before = await searchesShown();
  await page.selectOption(selector, value);
  return settled(before);
}

/** Hover a row and wait for its preview pane (media or "No preview."). */
async function hoverPreview(/** @type {string} */ name) {
  await page.hover(`.lwb-picker-item[data-name="${name}"]`);
  await page.waitForFunction((n) => {
    const pane = document.querySelector("[data-role=picker-preview]");
    return pane?.querySelector("[data-role=preview-name]")?.textContent === n
      && (/** @type {any} */ (pane.querySelector("[data-role=preview-media]"))?.complete !== false
        && pane.querySelector("[data-role=preview-media]") || /No preview/.test(pane.textContent ?? ""));
  }, name, { timeout: 15000 });
  return page.evaluate(() => {
    const media = /** @type {HTMLImageElement | null} */ (document.querySelector("[data-role=preview-media]"));
    return { tag: media?.tagName.toLowerCase() ?? null, src: media?.getAttribute("src") ?? null,
      shown: media instanceof HTMLImageElement ? media.complete && media.naturalWidth > 0 : null,
      compat: document.querySelector("[data-role=preview-compat]")?.textContent ?? null };
  });
}

/**
 * Whether a blob URL still loads as an image (a revoked one fails). ComfyUI's CSP allows blob: images but
 * not fetch(blob:), so an Image is the probe.
 */
const blobAlive = (/** @type {string} */ url) => page.evaluate((u) => new Promise((resolve) => {
  const img = new Image();
  img.onload = () => resolve(true);
  img.onerror = () => resolve(false);
  img.src = u;
}), url);

async function openPicker() {
  await page.click("[data-action=add-lora]");
  await page.waitForSelector(".lwb-picker");
  return settled();
}

async function pickRow(/** @type {string} */ query, /** @type {string} */ name) {
  await search(query);
  await page.click(`.lwb-picker-item[data-name="${name}"]`);
  await page.waitForSelector(".lwb-picker", { state: "detached" });
}

try {
  // The frontend loads its startup workflow after start-up; replacing the graph before that loses our nodes.
  await startupSettled(page);
  await page.evaluate(async (ckpt) => {
    const app = window["app"]; const LG = window["LiteGraph"];
    for (const n of [...app.graph._nodes]) app.graph.remove(n);
    // The checkpoint loader is not wired: the stub is never loaded, the picker still compares with it.
    const loader = LG.createNode("CheckpointLoaderSimple"); loader.pos = [40, 120]; app.graph.add(loader);
    loader.widgets.find((w) => w.name === "ckpt_name").value = ckpt;
    const node = LG.createNode("MultiScheduledLoraLoader"); node.pos = [400, 120]; app.graph.add(node);
    const preview = LG.createNode("PreviewAny"); preview.pos = [800, 120]; app.graph.add(preview);
    node.connect(2, preview, 0);
    window["__lwbNode"] = node;
  }, ckptName);
  await page.click("[data-action=open-editor]");
  await page.waitForSelector(".lwb-editor");

  // ── search and filters ──
  out.all = await openPicker();
  await page.waitForFunction(() => document.querySelectorAll("[data-role=picker-family] option").length > 1, null,
    { timeout: 30000 });
  out.familyOptions = await page.$$eval("[data-role=picker-family] option", (os) => os.map((o) => o.value));
  out.roleOptions = await page.$$eval("[data-role=picker-role] option", (os) => os.map((o) => o.value));
  out.ckptNote = await page.textContent("[data-role=picker-ckpt]");
  out.search = await search("watercolor");
  await search("");
  out.family = await choose("[data-role=picker-family]", "SDXL");
  out.familyRole = await choose("[data-role=picker-role]", "style");

  // ── compatibility hints: every shown row gets one, answered once, cached in IndexedDB ──
  await choose("[data-role=picker-family]", "");
  await choose("[data-role=picker-role]", "character");
  await page.waitForFunction(() => [...document.querySelectorAll("[data-role=compat-hint]")]
    .every((c) => /** @type {HTMLElement} */ (c).dataset.kind), null, { timeout: 60000 });
  out.characters = await settled();
  await shot("picker_hints");

  // ── preview on hover ──
  const aiko = await hoverPreview(AIKO);
  const aikoAliveWhileShown = await blobAlive(String(aiko.src));
  const ranger = await hoverPreview(RANGER);
  const dancer = await hoverPreview(DANCER);
  out.preview = { aiko, ranger, dancer, aikoAliveWhileShown, aikoAliveAfter: await blobAlive(String(aiko.src)),
    rangerAliveAfter: await blobAlive(String(ranger.src)) };
  const again = await hoverPreview(AIKO);
  await shot("picker_preview");
  out.compatRequests = [...compatRequests];
  out.previewRequests = [...previewRequests];
  out.packRequests = [...packRequests];
  out.user = USER;
  out.idbCompat = (await idbKeys(page)).filter((k) => k.startsWith("compat:")).sort();

  // ── profiles: Default runs aiko; a new profile, renamed, runs ranger; switching back runs aiko ──
  await page.click(`.lwb-picker-item[data-name="${AIKO}"]`);
  await page.waitForSelector(".lwb-picker", { state: "detached" });
  out.preview.againAliveAfterClose = await blobAlive(String(again.src));
  await page.fill("[data-role=profile-name]", "Second");
  await page.click("[data-action=profile-new]");
  await openPicker();
  await pickRow("ranger", RANGER);
  await page.fill("[data-role=profile-name]", "Renamed");
  await page.click("[data-action=profile-rename]");
  out.profileOptions = await page.$$eval("[data-role=profile-select] option", (os) => os.map((o) => o.textContent));
  await page.click("[data-action=save]");
  out.renamedConfig = await configValue();
  out.renamedRun = await queueAndRead(page, baseUrl);

  await page.click("[data-action=open-editor]");
  await page.waitForSelector(".lwb-editor");
  await page.selectOption("[data-role=profile-select]", "Default");
  out.shownAfterSwitch = await page.textContent("[data-role=schedule-text]");
  await page.click("[data-action=save]");
  out.defaultConfig = await configValue();
  out.defaultRun = await queueAndRead(page, baseUrl);
} catch (err) {
  out.error = String(err && /** @type {Error} */ (err).stack || err);
  await shot("picker_failure").catch(() => {});
} finally {
  out.pageErrors = pageErrors;
  console.log(JSON.stringify(out));
  await browser.close();
}
