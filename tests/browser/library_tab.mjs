// @ts-check
/**
 * The LoRA Library sidebar tab in the real ComfyUI frontend, over a generated library of thousands of
 * LoRAs: open the tab, combine filters and read totals and facet counts, scroll to the end, tag a
 * selection and filter by that tag, favourite and sort, open a detail view (hostile name and sidecar),
 * create a profile and apply it to a loader's LoRA, queue (the run's schedule string is read from
 * /history), drag LoRAs onto a loader and a combiner, and reload to see the state kept. Prints one JSON
 * object for the pytest wrapper (tests/integration/test_library_tab.py), which holds the expectations.
 * usage: node tests/browser/library_tab.mjs http://127.0.0.1:PORT OUT_DIR SPEC_JSON
 */
import { openComfyPage } from "./launch.mjs";
import { queueAndRead, startupSettled } from "./editor_helpers.mjs";
// The sidebar button of the tab: a class in frontend 1.32, a data-testid in 1.5x.
const TAB_BUTTON = '.lwb-lora-library-tab-button, [data-testid="lwb-lora-library-tab-button"]';

const [baseUrl, outDir, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const { browser, page, pageErrors } = await openComfyPage(baseUrl);
await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
/** @type {Record<string, any>} */
const out = {};
const shot = (/** @type {string} */ name) => page.screenshot({ path: `${outDir}/${name}.png` });
const LIB = "[data-role=lora-library]";

/** The tab's query generation once it answered (results and facet counts shown). */
const ready = () => page.evaluate((sel) => Number(document.querySelector(sel)?.getAttribute("data-ready") ?? 0), LIB);

/** Run `action`, then wait until the tab answered a newer query; returns the tab's total. */
async function settle(/** @type {() => Promise<any>} */ action) {
  const before = await ready();
  await action();
  await page.waitForFunction(([sel, b]) => Number(document.querySelector(sel)?.getAttribute("data-ready") ?? 0) > b,
    [LIB, before], { timeout: 60000 });
  return total();
}

const total = async () => Number(await page.getAttribute("[data-role=library-count]", "data-total"));

/** Cards in the DOM with their bound LoRA (visible window only). */
const cards = () => page.$$eval(".lwb-card[data-name]", (els) => els
  .filter((el) => /** @type {HTMLElement} */ (el).style.display !== "none")
  .map((el) => ({ index: Number(/** @type {HTMLElement} */ (el).dataset.index), name: /** @type {HTMLElement} */ (el).dataset.name,
    arch: el.querySelector("[data-role=arch-badge]")?.textContent ?? null,
    rank: el.querySelector("[data-role=rank-badge]")?.textContent ?? null,
    tags: [...el.querySelectorAll("[data-role=tag-badge]")].map((t) => t.textContent),
    star: el.querySelector("[data-action=favourite]")?.textContent,
    spark: !(/** @type {HTMLElement} */ (el.querySelector("[data-role=sparkline]"))).hidden,
    selected: el.classList.contains("lwb-active") }))
  .sort((a, b) => a.index - b.index));

/** Counts shown in a facet's list: {value: count}. */
const facetCounts = (/** @type {string} */ facet) => page.$$eval(`[data-facet=${facet}] input[data-value]`, (boxes) =>
  Object.fromEntries(boxes.map((b) => [/** @type {HTMLElement} */ (b).dataset.value,
    Number(b.parentElement?.querySelector("[data-count]")?.getAttribute("data-count"))])));

const flagCounts = (/** @type {string} */ name) => page.$$eval(`[data-role=filter-${name}] option`, (os) =>
  os.map((o) => /** @type {HTMLOptionElement} */ (o).value + "=" + o.textContent));

async function check(/** @type {string} */ facet, /** @type {string} */ value) {
  return settle(() => page.check(`[data-facet=${facet}] input[data-value="${value}"]`));
}

async function search(/** @type {string} */ text) {
  return settle(async () => {
    await page.fill("[data-role=library-search]", text);
    await page.press("[data-role=library-search]", "Enter");
  });
}

const clearAll = async () => {
  if (await page.$("[data-action=clear-filters]")) return settle(() => page.click("[data-action=clear-filters]"));
  if (await page.$("[data-action=remove-filter]")) return settle(() => page.click("[data-action=remove-filter]"));
  return total();
};

/** A node's config widget value. */
const widgetValue = (/** @type {string} */ nodeVar, /** @type {string} */ widget) => page.evaluate(([n, w]) =>
  String(window[n].widgets.find((x) => x.name === w).value), [nodeVar, widget]);

/** Screen point of a node's body centre (classic canvas). */
const nodePoint = (/** @type {string} */ nodeVar) => page.evaluate((n) => {
  const node = window[n]; const canvas = window["app"].canvas;
  const [x, y] = canvas.ds.convertOffsetToCanvas([node.pos[0] + node.size[0] / 2, node.pos[1] + 20]);
  const rect = canvas.canvas.getBoundingClientRect();
  return { x: rect.left + x, y: rect.top + y };
}, nodeVar);

/** Drag the card of `name` onto a node with real pointer-driven HTML5 drag and drop. */
async function dragOnto(/** @type {string} */ name, /** @type {string} */ nodeVar) {
  const card = page.locator(`.lwb-card[data-name="${name.replaceAll("\"", "\\\"")}"]`);
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await card.boundingBox());
  const target = await nodePoint(nodeVar);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 30, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(target.x, target.y, { steps: 12 });
  await page.mouse.up();
}

try {
  await startupSettled(page);
  await page.evaluate(async () => {
    const app = window["app"]; const LG = window["LiteGraph"];
    await app.extensionManager.setting.set("Comfy.VueNodes.Enabled", false);
    for (const n of [...app.graph._nodes]) app.graph.remove(n);
    app.canvas.ds.offset = [0, 0]; app.canvas.ds.scale = 1;
    const loader = LG.createNode("MultiScheduledLoraLoader"); loader.pos = [450, 120]; app.graph.add(loader);
    const preview = LG.createNode("PreviewAny"); preview.pos = [900, 120]; app.graph.add(preview);
    loader.connect(2, preview, 0);
    const combiner = LG.createNode("LoraBlockWeightCombiner"); combiner.pos = [450, 520]; app.graph.add(combiner);
    window["__loader"] = loader; window["__combiner"] = combiner;
    app.canvas.setDirty(true, true);
  });
  out.place = await page.evaluate(() => window["__loraWeightsBuilder"].libraryPlace);

  // ── open the tab ──
  await page.click(TAB_BUTTON);
  await page.waitForSelector(`${LIB}[data-ready]`, { timeout: 60000 });
  out.opened = { total: await total(), cardsInDom: await page.locator(".lwb-card").count(), first: (await cards()).slice(0, 3) };
  await page.click("[data-action=library-filters]");

  // ── combined filters: totals and facet counts (each facet counted under the other filters) ──
  const combo = {};
  combo.family = await check("family", "SDXL");
  combo.familyRole = await check("role", "style");
  combo.clip = await settle(() => page.selectOption("[data-role=filter-clip]", "true"));
  combo.rankMin = await settle(async () => {
    await page.fill("[data-role=filter-rank-min]", "8");
    await page.press("[data-role=filter-rank-min]", "Tab");
  });
  combo.rank = await settle(async () => {
    await page.fill("[data-role=filter-rank-max]", "16");
    await page.press("[data-role=filter-rank-max]", "Tab");
  });
  combo.familyCounts = await facetCounts("family");
  combo.roleCounts = await facetCounts("role");
  combo.clipOptions = await flagCounts("clip");
  combo.rows = (await cards()).length;
  combo.chips = await page.$$eval("[data-role=library-chips] [data-action=remove-filter]", (bs) => bs.map((b) => b.textContent));
  await shot("library_filters");
  out.combo = combo;
  out.folder = { cleared: await clearAll() };
  out.folder.total = await settle(() => page.selectOption("[data-role=filter-folder]", "characters/sdxl"));
  await clearAll();

  // ── the whole list scrolls to its last LoRA with a handful of cells in the DOM ──
  await page.evaluate(() => { const g = document.querySelector("[data-role=library-grid]"); g.scrollTop = g.scrollHeight; });
  await page.waitForFunction(() => [...document.querySelectorAll(".lwb-card[data-name]")]
    .some((c) => /** @type {HTMLElement} */ (c).style.display !== "none" && Number(/** @type {HTMLElement} */ (c).dataset.index) === Number(document.querySelector("[data-role=library-count]")?.getAttribute("data-total")) - 1),
  null, { timeout: 30000 });
  const tail = await cards();
  // the jump is a fling: thumbnails load once it rests; wait until no visible card waits for its image
  await page.waitForFunction(() => [...document.querySelectorAll(".lwb-card[data-name]")]
    .every((c) => /** @type {HTMLElement} */ (c).style.display === "none" || c.querySelector(".lwb-thumb")?.getAttribute("data-kind") !== "wait"),
  null, { timeout: 60000 });
  const thumbnails = await page.$$eval(".lwb-card[data-name]", (els) => els
    .filter((el) => /** @type {HTMLElement} */ (el).style.display !== "none")
    .map((el) => {
      const img = /** @type {HTMLImageElement} */ (el.querySelector(".lwb-thumb img"));
      const box = img.getBoundingClientRect();
      return { name: /** @type {HTMLElement} */ (el).dataset.name, kind: el.querySelector(".lwb-thumb")?.getAttribute("data-kind"),
        decoded: img.complete && img.naturalWidth > 0, shown: getComputedStyle(img).display !== "none" &&
          getComputedStyle(img).visibility === "visible" && box.width > 0 && box.height > 0 };
    }));
  out.scroll = { last: tail.at(-1), cardsInDom: await page.locator(".lwb-card").count(), thumbnails };
  await page.evaluate(() => { document.querySelector("[data-role=library-grid]").scrollTop = 0; });

  // ── tag a selection (click, shift-click), then filter by the tag ──
  out.aikoTotal = await search("aiko");
  await page.waitForSelector(".lwb-card[data-index='4'][data-name]");
  await page.click(".lwb-card[data-index='0'] .lwb-card-name");
  await page.click(".lwb-card[data-index='4'] .lwb-card-name", { modifiers: ["Shift"] });
  out.selected = (await cards()).filter((c) => c.selected).map((c) => c.name);
  out.bulkCount = await page.textContent("[data-role=bulk-count]");
  await settle(async () => {
    await page.fill("[data-role=bulk-tag]", spec.hostileTag);
    await page.click("[data-action=bulk-add-tag]");
  });
  await search("");
  await page.waitForSelector(`[data-facet=tag] input[data-value="${spec.hostileTag}"]`);
  out.tagFacet = await facetCounts("tag");
  out.tagged = { total: await check("tag", spec.hostileTag) };
  out.tagged.cards = await cards();
  out.tagged.boldElements = await page.$$eval(`${LIB} b`, (bs) => bs.length);
  await shot("library_tagged");
  await page.click("[data-action=bulk-clear]").catch(() => {});
  await clearAll();

  // ── favourite three, filter favourites; sort by rank, descending ──
  await page.waitForSelector(".lwb-card[data-index='5'][data-name]");
  const favs = [];
  for (const i of [1, 3, 5]) {
    const name = await page.getAttribute(`.lwb-card[data-index='${i}']`, "data-name");
    favs.push(name);
    await settle(() => page.click(`.lwb-card[data-index='${i}'] [data-action=favourite]`));
  }
  out.favourites = { clicked: favs };
  out.favourites.total = await settle(() => page.selectOption("[data-role=filter-favourite]", "true"));
  out.favourites.cards = await cards();
  await clearAll();
  await settle(() => page.selectOption("[data-role=library-sort]", "rank"));
  await settle(() => page.click("[data-action=library-order]"));
  out.rankSorted = (await cards()).slice(0, 10).map((c) => c.rank);

  // ── detail view of the hostile LoRA: text only, copy trigger words ──
  await settle(() => page.selectOption("[data-role=library-sort]", "name"));
  await settle(() => page.click("[data-action=library-order]"));
  await search("hostile");
  await page.click(".lwb-card[data-index='0'] [data-action=details]");
  await page.waitForSelector("[data-role=description-text]", { timeout: 30000 });
  await page.waitForFunction(() => !/loading/.test(document.querySelector("[data-role=detail-energy]")?.textContent ?? "loading"),
    null, { timeout: 60000 });
  out.detail = await page.evaluate(() => ({
    name: document.querySelector("[data-role=detail-name]")?.textContent,
    description: document.querySelector("[data-role=description-text]")?.textContent,
    triggers: document.querySelector("[data-role=trigger-words]")?.textContent,
    facts: Object.fromEntries([...document.querySelectorAll("[data-fact]")].map((f) => [/** @type {HTMLElement} */ (f).dataset.fact, f.textContent])),
    media: document.querySelector("[data-role=detail-media]")?.tagName ?? null,
    injected: document.querySelectorAll("[data-role=library-detail] script, [data-role=library-detail] svg, [data-role=library-detail] img[src=x]").length,
    pwned: window["__pwned"] ?? null,
    duplicates: [...document.querySelectorAll("[data-role=duplicate-name]")].map((d) => d.textContent),
  }));
  await page.click("[data-action=copy-triggers]");
  await page.waitForFunction(() => /copied|refused/.test(document.querySelector("[data-role=detail-status]")?.textContent ?? ""));
  out.detail.copyStatus = await page.textContent("[data-role=detail-status]");
  out.detail.clipboard = await page.evaluate(() => navigator.clipboard.readText()).catch((e) => `unreadable: ${e}`);
  await shot("library_detail");
  await settle(() => page.click("[data-action=detail-back]"));

  // ── the measured LoRA: detail shows its energy chart and the composition it was kept in; add it to the loader ──
  out.keptComposition = await page.evaluate(async (name) => {
    const response = await window["__loraWeightsBuilder"].library.api.fetch("/mad-nodes/compositions", { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ loras: [{ lora_name: name }], policy: "budget" }) });
    return { status: response.status, id: (await response.json()).id };
  }, spec.measured);
  await search(spec.measuredWord);
  await page.click(`.lwb-card[data-name="${spec.measured}"] [data-action=details]`);
  await page.waitForSelector("[data-role=energy-chart]", { timeout: 120000 });
  await page.waitForSelector("[data-role=detail-compositions] .lwb-h");
  out.compositions = await page.$$eval("[data-role=composition]", (ls) => ls.map((l) => l.textContent));
  out.energyBlocks = await page.$$eval("[data-role=energy-chart] [data-block]", (els) => els.map((e) => /** @type {HTMLElement} */ (e).dataset.block));
  const loaderId = await page.evaluate(() => String(window["__loader"].id));
  await page.selectOption("[data-role=add-target]", loaderId);
  await page.click("[data-action=add-to-node]");
  out.addStatus = await page.textContent("[data-role=detail-status]");
  out.loaderAfterAdd = await widgetValue("__loader", "schedule_config");
  await settle(() => page.click("[data-action=detail-back]"));
  out.sparkAfterEnergy = (await cards()).find((c) => c.name === spec.measured)?.spark ?? null;

  // ── profiles: create one in the tab (validation first), apply it in the loader editor, queue ──
  await page.click("[data-action=library-profiles]");
  await page.click("[data-action=saved-profile-new]");
  await page.fill("[data-role=profile-form-name]", spec.profile.name);
  await page.selectOption("[data-role=profile-form-layout]", spec.profile.layout);
  await page.fill("[data-role=profile-form-weights]", "1, 2, x");
  out.profileProblems = await page.$$eval("[data-role=profile-problems] li", (ls) => ls.map((l) => l.textContent));
  out.profileSaveDisabled = await page.isDisabled("[data-action=saved-profile-save]");
  await page.fill("[data-role=profile-form-weights]", spec.profile.weights.join(", "));
  out.profileProblemsAfter = await page.$$eval("[data-role=profile-problems] li", (ls) => ls.map((l) => l.textContent));
  await page.click("[data-action=saved-profile-save]");
  await page.waitForSelector(`[data-role=profile-list] [data-profile="${spec.profile.name}"]`);
  out.profileList = await page.$$eval("[data-role=profile-list] [data-profile]", (rs) => rs.map((r) => /** @type {HTMLElement} */ (r).dataset.profile));
  await page.click("[data-action=profiles-back]");

  await page.evaluate(() => window["__loader"].lwbEditor.openEditor());
  await page.waitForSelector(".lwb-editor");
  // the loader's picker: favourite a row and tag it from the preview pane, then cancel the pick
  await page.click("[data-action=add-lora]");
  await page.fill("[data-role=picker-search]", spec.measuredWord);
  await page.press("[data-role=picker-search]", "Enter");
  const pickerRow = `.lwb-picker-item[data-name="${spec.measured}"]`;
  await page.click(`${pickerRow} [data-role=picker-favourite] [data-action=favourite]`);
  await page.waitForFunction((sel) => document.querySelector(`${sel} [data-action=favourite]`)?.textContent === "★", pickerRow);
  await page.hover(`${pickerRow} .lwb-picker-name`);
  await page.waitForSelector("[data-role=picker-preview] [data-role=tag-input]");
  await page.fill("[data-role=picker-preview] [data-role=tag-input]", spec.pickerTag);
  await page.press("[data-role=picker-preview] [data-role=tag-input]", "Enter");
  await page.waitForFunction(() => /tags saved/.test(document.querySelector("[data-role=picker-preview] [data-role=user-status]")?.textContent ?? ""));
  out.pickerTags = await page.$$eval("[data-role=picker-preview] [data-role=user-tags] [data-tag]", (cs) => cs.map((c) => /** @type {HTMLElement} */ (c).dataset.tag));
  await page.press("[data-role=picker-search]", "Escape");
  await page.waitForSelector(".lwb-picker", { state: "detached" });
  await page.click(".lwb-lora-row[data-index='0']");
  await page.waitForSelector(`[data-role=profile-presets] [data-profile="${spec.profile.name}"]:not([disabled])`, { timeout: 60000 });
  await page.click(`[data-role=profile-presets] [data-profile="${spec.profile.name}"]`);
  out.vectorText = await page.textContent("[data-role=vector-text]");
  out.profileButtonOn = await page.$eval(`[data-role=profile-presets] [data-profile="${spec.profile.name}"]`, (b) => b.classList.contains("lwb-on"));
  // the LoRA's current block vector saved as a new profile from the block panel
  await page.fill("[data-role=save-profile-name]", "From editor");
  await page.click("[data-action=save-profile]");
  await page.waitForFunction(() => /saved profile From editor/.test(document.querySelector(".lwb-editor [data-role=status]")?.textContent ?? ""));
  out.savedFromEditor = await page.evaluate(async () => (await window["__loraWeightsBuilder"].library.api.profiles())
    .find((p) => p.name === "From editor") ?? null);
  await page.click("[data-action=save]");
  out.run = await queueAndRead(page, baseUrl);

  // ── what the picker saved shows in the tab (the tab's query was already this word: ask again) ──
  await search("");
  await search(spec.measuredWord);
  out.measuredCard = (await cards()).find((c) => c.name === spec.measured) ?? null;

  // ── drag and drop onto the combiner and the loader ──
  await search(spec.dragWord);
  const dragName = await page.getAttribute(".lwb-card[data-index='0']", "data-name");
  out.dragName = dragName;
  await dragOnto(String(dragName), "__combiner");
  await page.waitForFunction((n) => String(window["__combiner"].widgets.find((w) => w.name === "combiner_config").value).includes(n),
    dragName, { timeout: 10000 }).catch(() => {});
  out.combinerAfterDrop = await widgetValue("__combiner", "combiner_config");
  await dragOnto(String(dragName), "__loader");
  await page.waitForFunction((n) => String(window["__loader"].widgets.find((w) => w.name === "schedule_config").value).includes(n),
    dragName, { timeout: 10000 }).catch(() => {});
  out.loaderAfterDrop = await widgetValue("__loader", "schedule_config");
  await shot("library_dropped");

  // ── the state survives a reload ──
  await settle(() => page.selectOption("[data-role=library-sort]", "size"));
  await check("family", "SD15");
  await page.reload({ waitUntil: "domcontentloaded" });
  await page.waitForFunction(() => window["__loraWeightsBuilder"], null, { timeout: 60000 });
  await page.click(TAB_BUTTON);
  await page.waitForSelector(`${LIB}[data-ready]`, { timeout: 60000 });
  out.reloaded = { sort: await page.inputValue("[data-role=library-sort]"), total: await total(),
    chips: await page.$$eval("[data-role=library-chips] [data-action=remove-filter]", (bs) => bs.map((b) => b.textContent)) };
} catch (err) {
  out.error = String(err && /** @type {Error} */ (err).stack || err);
  await shot("library_failure").catch(() => {});
} finally {
  out.pageErrors = pageErrors;
  console.log(JSON.stringify(out));
  await browser.close();
}
