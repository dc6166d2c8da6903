// @ts-check
/**
 * The editor driven in the real ComfyUI frontend: add the node, open the editor, add a LoRA from the
 * picker, draw and drag curve points, set a block preset, undo/redo, save, queue the prompt; plus the
 * metadata cache in IndexedDB (legacy import, entries, clearing), hostile names rendered as text, and
 * the widget under the Vue node renderer. Prints one JSON object for the pytest wrapper.
 * usage: node tests/browser/editor_flow.mjs http://127.0.0.1:PORT OUT_DIR [LORA_FILE_NAME]
 */
import { idbKeys, pickLora, queueAndRead, startupSettled } from "./editor_helpers.mjs";
import { NODES_2, openComfyPage } from "./launch.mjs";

const [baseUrl, outDir, styleName = "style_a.safetensors"] = process.argv.slice(2);
const HOSTILE = "<img src=x onerror=alert(1)>";
const { browser, page, pageErrors } = await openComfyPage(baseUrl);
/** @type {string[]} */
const dialogs = [];
page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
/** @type {Record<string, any>} */
const out = { steps: [] };
const shot = async (/** @type {string} */ name) => { await page.screenshot({ path: `${outDir}/${name}.png` }); };
const text = (/** @type {string} */ sel) => page.locator(sel).first().textContent();

try {
  // The frontend loads its startup workflow after start-up; replacing the graph before that loses our nodes.
  await startupSettled(page);
  // Legacy browser cache, before the metadata cache first opens.
  await page.evaluate(() => localStorage.setItem("MAD_NODES_LORA_METADATA_V1", JSON.stringify({
    "legacy_only.safetensors": { arch: "SD15", fingerprint: "x" },
    "broken.safetensors": { arch: "UNKNOWN", error: "File not found" },
  })));
  await page.evaluate(async () => {
    const app = window["app"]; const LG = window["LiteGraph"];
    for (const n of [...app.graph._nodes]) app.graph.remove(n);
    const node = LG.createNode("MultiScheduledLoraLoader"); node.pos = [80, 120]; app.graph.add(node);
    const preview = LG.createNode("PreviewAny"); preview.pos = [520, 120]; app.graph.add(preview);
    node.connect(2, preview, 0);
    window["__lwbNode"] = node;
  });
  await page.waitForSelector("[data-action=open-editor]");
  out.widgets = await page.evaluate(() => window["__lwbNode"].widgets.map((w) => ({ name: w.name, hidden: !!w.hidden })));
  await page.click("[data-action=open-editor]");
  await page.waitForSelector(".lwb-editor");
  await page.click("[data-action=add-lora]");
  await pickLora(page, styleName.replace(/\.safetensors$/, ""), styleName);
  out.steps.push("added");
  const canvas = page.locator("[data-role=curve-canvas]");
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await canvas.boundingBox());
  // Snap off, so the new point lands exactly under the pointer and the drag grabs it.
  await page.uncheck("[data-role=snap-toggle]");
  await canvas.dblclick({ position: { x: box.width * 0.5, y: box.height * 0.8 } });
  const afterAdd = await text("[data-role=schedule-text]");
  // drag the added (selected) point up and right
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.up();
  const afterDrag = await text("[data-role=schedule-text]");
  out.curve = { afterAdd, afterDrag };
  // preset, once inspection enabled the preset bar
  await page.locator("[data-preset=STYLE_FOCUSED]:not([disabled])").waitFor({ timeout: 60000 });
  await page.click("[data-preset=STYLE_FOCUSED]");
  const withPreset = await text("[data-role=schedule-text]");
  await canvas.click({ position: { x: 5, y: 5 } }); // back to the canvas, as a user would
  await page.keyboard.press("Control+z");
  const undone = await text("[data-role=schedule-text]");
  await page.keyboard.press("Control+y");
  const redone = await text("[data-role=schedule-text]");
  out.undo = { withPreset, undone, redone };
  // The block list is final once the LoRA is inspected and its block energy is in (an answer `stats_pending` is
  // followed by its event, which redraws the sliders for the blocks the LoRA has): wait for that before counting.
  await page.waitForFunction(() => !/Inspecting|Computing/.test(document.querySelector("[data-role=stats-note]")?.textContent ?? ""),
    null, { timeout: 600000 });
  // Block sliders step by the profile's snap interval (read after a change of it).
  const sliderSteps = () => page.$$eval(".lwb-block input[type=range]", (els) => els.map((e) => /** @type {HTMLInputElement} */ (e).step));
  out.sliderSteps = { before: await sliderSteps() };
  await page.fill("[data-role=snap]", "0.1");
  await page.press("[data-role=snap]", "Enter");
  out.sliderSteps.after = await sliderSteps();
  await canvas.click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("Control+z"); // the snap change is an undo step of its own; the schedule is unchanged
  out.sliderSteps.undone = await sliderSteps();
  out.vectorText = await text("[data-role=vector-text]");
  out.staircase = await text("[data-role=staircase-text]");
  out.idbAfterInspect = await idbKeys(page);
  out.legacyLeft = await page.evaluate(() => localStorage.getItem("MAD_NODES_LORA_METADATA_V1"));
  await shot("editor");
  out.shownSchedule = redone;
  await page.click("[data-action=save]");
  out.savedConfig = await page.evaluate(() => window["__lwbNode"].widgets[0].value);
  out.nodeSummary = await text("[data-role=node-summary]");
  await shot("node_after_save");
  // queue and read what the backend ran
  const ran = await queueAndRead(page, baseUrl);
  out.historyStatus = ran.status;
  out.ranSchedule = ran.texts[0] ?? null;

  // Hostile names: a LoRA file and a profile.
  await page.click("[data-action=open-editor]");
  await page.waitForSelector(".lwb-editor");
  await page.click("[data-action=add-lora]");
  await pickLora(page, "onerror", HOSTILE);
  await page.fill("[data-role=profile-name]", HOSTILE);
  await page.click("[data-action=profile-duplicate]");
  await page.waitForFunction((name) => [...document.querySelectorAll("[data-role=profile-select] option")]
    .some((o) => o.textContent === name), HOSTILE);
  out.hostile = await page.evaluate((name) => ({
    rowTexts: [...document.querySelectorAll(".lwb-lora-name")].map((e) => e.textContent),
    profileOptions: [...document.querySelectorAll("[data-role=profile-select] option")].map((o) => o.textContent),
    injectedImgs: document.querySelectorAll(".lwb-editor img, .lwb-overlay img[src='x']").length,
    panelName: document.querySelector("[data-role=item-name]")?.textContent,
    nameInHtml: document.querySelector(".lwb-editor")?.innerHTML.includes(name),
  }), HOSTILE);
  await shot("editor_hostile");
  // Clear Metadata Cache: browser and server (the open LoRA is then inspected again)
  await page.waitForFunction(() => !(document.querySelector("[data-role=lora-panel]")?.textContent ?? "").includes("Inspecting"));
  out.idbBeforeClear = await idbKeys(page);
  await page.click("[data-action=clear-cache]");
  await page.waitForFunction(() => document.querySelector("[data-role=status]")?.textContent?.includes("cleared"));
  out.idbAfterClear = await idbKeys(page);
  out.openAfterClear = await text("[data-role=item-name]");
  await page.keyboard.press("Escape");
  out.editorClosedByEsc = await page.locator(".lwb-editor").count() === 0;
  out.configAfterEsc = await page.evaluate(() => window["__lwbNode"].widgets[0].value);

  // Round trip through the workflow JSON: serialize, reload, the widget draws the same config.
  out.roundTrip = await page.evaluate(async () => {
    const app = window["app"];
    const before = window["__lwbNode"].widgets[0].value;
    const workflow = app.graph.serialize();
    await app.loadGraphData(workflow);
    const node = app.graph._nodes.find((n) => n.comfyClass === "MultiScheduledLoraLoader");
    return { same: node.widgets[0].value === before, widgetsValues: workflow.nodes.find((n) => n.type === "MultiScheduledLoraLoader").widgets_values.length };
  });

  // Listeners go with the node.
  out.removal = await page.evaluate(() => {
    const app = window["app"];
    const node = app.graph._nodes.find((n) => n.comfyClass === "MultiScheduledLoraLoader");
    app.graph.remove(node);
    return { handleGone: node.lwbEditor === undefined };
  });

  // Vue node renderer ("Nodes 2.0"), when this frontend offers it.
  const vueAvailable = await page.evaluate(async () => {
    const app = window["app"]; const LG = window["LiteGraph"];
    const setting = app.extensionManager?.setting;
    if (!setting) return false;
    await setting.set("Comfy.VueNodes.Enabled", true);
    const node = LG.createNode("MultiScheduledLoraLoader"); node.pos = [80, 420]; app.graph.add(node);
    return true;
  });
  /** Node widget canvases that are really shown (laid out with a size). */
  const visibleCanvases = () => [...document.querySelectorAll("canvas[data-role=node-curves]")]
    .map((c) => c.getBoundingClientRect()).filter((r) => r.width > 20 && r.height > 20).length;
  if (vueAvailable) {
    await page.waitForFunction(visibleCanvases, null, { timeout: 30000 }).catch(() => {});
  }
  out.vue = !vueAvailable ? { available: false } : {
    available: true, mode: await page.evaluate(() => !!window["LiteGraph"].vueNodesMode),
    visibleCanvases: await page.evaluate(visibleCanvases),
    buttons: await page.locator("[data-action=open-editor]").count(),
  };
  if (vueAvailable) await page.evaluate((on) => window["app"].extensionManager.setting.set("Comfy.VueNodes.Enabled", on), NODES_2);
  await shot("vue_nodes");
} catch (err) {
  out.error = String(err && /** @type {Error} */ (err).stack || err);
  await shot("failure").catch(() => {});
} finally {
  out.dialogs = dialogs;
  out.pageErrors = pageErrors;
  console.log(JSON.stringify(out));
  await browser.close();
}
