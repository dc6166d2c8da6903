// @ts-check
/**
 * The combiner editor driven in the real ComfyUI frontend: add the combiner, open its editor, pick three
 * LoRAs from the library, watch the heat map change with the headroom, select a block (cosine matrix),
 * send the result to a loader, save, queue and read what both nodes ran; the workflow saved and reloaded;
 * a hostile LoRA name; composition history (keep, list, show, restore). Prints one JSON object.
 * usage: node tests/browser/combiner_flow.mjs http://127.0.0.1:PORT OUT_DIR LORA_A LORA_B LORA_C OTHER_FAMILY HOSTILE_FILE
 */
import { pickLora, queueAndRead, startupSettled } from "./editor_helpers.mjs";
import { openComfyPage } from "./launch.mjs";

const [baseUrl, outDir, ...names] = process.argv.slice(2);
const hostileFile = /** @type {string} */ (names.pop());
const otherFamily = /** @type {string} */ (names.pop());
const profileName = process.env.LWB_COMBINER_PROFILE ?? "";
const { browser, page, pageErrors } = await openComfyPage(baseUrl);
/** @type {string[]} */
const dialogs = [];
page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
/** @type {Record<string, any>} */
const out = { steps: [] };
const shot = (/** @type {string} */ name) => page.screenshot({ path: `${outDir}/${name}.png` });
const text = (/** @type {string} */ sel) => page.locator(sel).first().textContent();
const combinerWidget = (/** @type {string} */ name) => page.evaluate((n) =>
  window["__lwbCombiner"].widgets.find((w) => w.name === n).value, name);

async function pick(/** @type {string} */ query, /** @type {string} */ name) {
  await page.click("[data-action=add-lora]");
  await pickLora(page, query, name); // a first library scan on a loaded machine can take a while
}

/** The preview for the inputs on screen has arrived (none due after a change, no request in flight, the view
 * drawn from it): without the "due" check, the answer for the inputs before a change would pass for it. */
async function previewSettled() {
  await page.waitForFunction(() => {
    const d = /** @type {HTMLElement | null} */ (document.querySelector(".lwb-combiner"));
    return d && !d.dataset.previewDue && !d.dataset.combining && d.dataset.previewKey
      && document.querySelector("[data-role=result-schedule]");
  }, null, { timeout: 60000 });
  return page.evaluate(() => ({
    schedule: document.querySelector("[data-role=result-schedule]")?.textContent ?? "",
    rows: [...document.querySelectorAll("[data-role=result-row]")].map((r) => ({
      name: r.querySelector(".lwb-lora-name")?.textContent,
      model: r.querySelector("[data-role=result-model]")?.textContent,
      vector: r.querySelector("[data-role=result-vector]")?.textContent,
    })),
    verdicts: [...document.querySelectorAll("[data-verdict]")].map((v) => v.textContent),
    request: /** @type {HTMLElement} */ (document.querySelector(".lwb-combiner")).dataset.previewKey,
  }));
}

/** The heat map's pixels once it has been painted at least `after` times. */
async function heatPixels(/** @type {number} */ after) {
  await page.waitForFunction((n) => Number(document.querySelector("[data-role=heat-map]")?.dataset.drawn ?? 0) > n, after);
  return page.evaluate(() => {
    const canvas = /** @type {HTMLCanvasElement} */ (document.querySelector("[data-role=heat-map]"));
    return { drawn: Number(canvas.dataset.drawn), url: canvas.toDataURL() };
  });
}

try {
  // The frontend loads its default workflow after start-up; replacing the graph before that loses our nodes.
  await startupSettled(page);
  await page.evaluate(async () => {
    const app = window["app"]; const LG = window["LiteGraph"];
    for (const n of [...app.graph._nodes]) app.graph.remove(n);
    const combiner = LG.createNode("LoraBlockWeightCombiner"); combiner.pos = [60, 80]; app.graph.add(combiner);
    const shown = LG.createNode("PreviewAny"); shown.pos = [480, 60]; app.graph.add(shown);
    combiner.connect(3, shown, 0);
    const loader = LG.createNode("MultiScheduledLoraLoader"); loader.pos = [60, 540]; app.graph.add(loader);
    const ran = LG.createNode("PreviewAny"); ran.pos = [480, 540]; app.graph.add(ran);
    loader.connect(2, ran, 0);
    window["__lwbCombiner"] = combiner;
    window["__lwbLoader"] = loader;
  });
  out.widgets = await page.evaluate(() => window["__lwbCombiner"].widgets.map((w) => ({ name: w.name, hidden: !!w.hidden })));
  await page.click("[data-action=open-combiner]");
  await page.waitForSelector(".lwb-combiner");
  for (const name of names) await pick(name.replace(/\.safetensors$/, ""), name);
  out.steps.push("picked");
  const first = await previewSettled();
  const heatFirst = await heatPixels(0);
  out.first = first;
  // a smaller headroom: more of each block is cut
  await page.fill("[data-role=headroom]", "0.6");
  await page.press("[data-role=headroom]", "Tab");
  await page.waitForFunction((before) =>
    /** @type {HTMLElement} */ (document.querySelector(".lwb-combiner")).dataset.previewKey !== before, first.request, { timeout: 60000 });
  const second = await previewSettled();
  const heatSecond = await heatPixels(heatFirst.drawn);
  out.second = second;
  out.heatChanged = heatFirst.url !== heatSecond.url;
  out.heatSize = await page.evaluate(() => {
    const r = document.querySelector("[data-role=heat-map]")?.getBoundingClientRect();
    return r ? [Math.round(r.width), Math.round(r.height)] : null;
  });
  // click the last block column of the heat map: its numbers and cosine matrix
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await page.locator("[data-role=heat-map]").boundingBox());
  await page.mouse.click(box.x + box.width - 3, box.y + 20);
  out.selectedBlock = await text("[data-role=selected-block]");
  out.blockInfo = await page.evaluate(() => [...document.querySelectorAll("[data-role=block-info] > div")].map((d) => d.textContent));
  out.cosinePixels = await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => {
    const canvas = /** @type {HTMLCanvasElement} */ (document.querySelector("[data-role=cosine-matrix]"));
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    const cell = canvas.width / 3; // three LoRAs; sample near a cell's corner, away from its number
    const at = (/** @type {number} */ i, /** @type {number} */ j) => [...ctx.getImageData(j * cell + 6, i * cell + 6, 1, 1).data.slice(0, 3)];
    resolve({ ink_glow: at(0, 1), ink_face: at(0, 2) });
  })));
  await shot("combiner_editor");
  // undo / redo the headroom change from the keyboard (focus is on the editor after the canvas click)
  const previewKey = () => page.evaluate(() => /** @type {HTMLElement} */ (document.querySelector(".lwb-combiner")).dataset.previewKey);
  await page.keyboard.press("Control+z");
  await page.waitForFunction((k) => /** @type {HTMLElement} */ (document.querySelector(".lwb-combiner")).dataset.previewKey === k,
    first.request, { timeout: 60000 });
  out.undo = { headroom: await page.inputValue("[data-role=headroom]"), schedule: (await previewSettled()).schedule,
    graphNodes: await page.evaluate(() => window["app"].graph._nodes.length) };
  await page.keyboard.press("Control+y");
  await page.waitForFunction((k) => /** @type {HTMLElement} */ (document.querySelector(".lwb-combiner")).dataset.previewKey === k,
    second.request, { timeout: 60000 });
  out.redo = { headroom: await page.inputValue("[data-role=headroom]"), key: await previewKey() };
  await previewSettled();
  // copy the first LoRA's Inspire vector, as a user pasting it into Inspire's node would
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
  await page.locator("[data-role=result-row] [data-action=copy]").first().click();
  await page.waitForFunction(() => /copied|could not copy/.test(document.querySelector("[data-role=send-status]")?.textContent ?? ""));
  out.copied = { status: await text("[data-role=send-status]"),
    clipboard: await page.evaluate(() => navigator.clipboard.readText()).catch((err) => `unreadable: ${err}`) };
  // send to the loader, then save the combiner
  await page.selectOption("[data-role=loader-select]", { index: 0 });
  await page.click("[data-action=send-to-loader]");
  out.sendStatus = await text("[data-role=send-status]");
  out.loaderConfig = await page.evaluate(() => window["__lwbLoader"].widgets.find((w) => w.name === "schedule_config").value);
  await page.click("[data-action=save]");
  out.savedConfig = await combinerWidget("combiner_config");
  out.savedHeadroom = await combinerWidget("headroom");
  out.savedPolicy = await combinerWidget("policy");
  await page.waitForFunction(() => !/checking/.test(document.querySelector("[data-role=combiner-verdict]")?.textContent ?? "checking"),
    null, { timeout: 60000 });
  out.nodeVerdict = await text("[data-role=combiner-verdict]");
  out.nodeRows = await page.evaluate(() => [...document.querySelectorAll("[data-role=combiner-row] .lwb-lora-name")].map((e) => e.textContent));
  out.nodeKept = await page.evaluate(() => [...document.querySelectorAll("[data-role=combiner-kept]")].map((e) => e.textContent));
  await shot("combiner_node");
  const ran = await queueAndRead(page, baseUrl);
  out.historyStatus = ran.status;
  out.ranByNode = await page.evaluate((outputs) => {
    const id = (/** @type {any} */ n) => String(n.id);
    const app = window["app"];
    const preview = (/** @type {any} */ from) => app.graph._nodes.find((n) => n.type === "PreviewAny"
      && n.inputs[0].link != null && app.graph.links.get?.(n.inputs[0].link)?.origin_id === from.id);
    return { combiner: outputs[id(preview(window["__lwbCombiner"]))]?.text?.[0] ?? null,
      loader: outputs[id(preview(window["__lwbLoader"]))]?.text?.[0] ?? null };
  }, ran.outputs);

  // workflow saved and reloaded keeps the combiner's configuration
  out.roundTrip = await page.evaluate(async () => {
    const app = window["app"];
    const before = window["__lwbCombiner"].widgets.map((w) => [w.name, w.value]);
    const workflow = JSON.parse(JSON.stringify(app.graph.serialize()));
    await app.loadGraphData(workflow);
    const node = app.graph._nodes.find((n) => n.comfyClass === "LoraBlockWeightCombiner");
    window["__lwbCombiner"] = node;
    window["__lwbLoader"] = app.graph._nodes.find((n) => n.comfyClass === "MultiScheduledLoraLoader");
    const after = node.widgets.map((w) => [w.name, w.value]);
    return { before, after, widgetsValues: workflow.nodes.find((n) => n.type === "LoraBlockWeightCombiner").widgets_values };
  });
  await page.waitForFunction(() => document.querySelectorAll("[data-role=combiner-row]").length >= 3);
  out.rowsAfterReload = await page.evaluate(() => [...document.querySelectorAll("[data-role=combiner-row] .lwb-lora-name")].map((e) => e.textContent));

  // composition history: keep the preview, list, show, restore
  await page.click("[data-action=open-combiner]");
  await page.waitForSelector(".lwb-combiner");
  await previewSettled();
  await page.click("[data-action=history]");
  await page.click("[data-action=keep-composition]");
  await page.waitForFunction(() => /kept|not kept|unavailable/.test(document.querySelector("[data-role=history-status]")?.textContent ?? ""),
    null, { timeout: 30000 });
  out.history = { status: await text("[data-role=history-status]") };
  out.history.rows = await page.evaluate(() => [...document.querySelectorAll("[data-role=history-row]")].map((r) => r.textContent));
  if (out.history.rows.length) {
    await page.locator("[data-role=history-row]").first().click();
    await page.waitForSelector("[data-action=restore-composition]");
    out.history.detail = await page.evaluate(() => [...document.querySelectorAll("[data-role=history-detail] > div")].map((d) => d.textContent));
    // change the set, then restore the kept composition
    await page.locator("[data-action=remove-lora]").first().click();
    out.history.countBeforeRestore = await page.locator("[data-role=lora-list] .lwb-lora-row").count();
    await page.click("[data-action=restore-composition]");
    out.history.restored = await page.evaluate(() => [...document.querySelectorAll("[data-role=lora-list] .lwb-lora-name")].map((e) => e.textContent));
    out.history.restoredHeadroom = await page.inputValue("[data-role=headroom]");
    await shot("combiner_history");
  }
  await page.click("[data-action=history]");

  // a hostile file name, added from the picker: shown as text everywhere
  await pick(hostileFile.replace(/\.safetensors$/, ""), hostileFile);
  await previewSettled();
  out.hostile = await page.evaluate((name) => ({
    rowTexts: [...document.querySelectorAll(".lwb-combiner .lwb-lora-name")].map((e) => e.textContent),
    injectedImgs: document.querySelectorAll(".lwb-combiner img, .lwb-combiner svg, .lwb-combiner-widget svg").length,
    nameInHtml: document.querySelector(".lwb-combiner")?.innerHTML.includes(name),
  }), hostileFile.replace(/\.safetensors$/, ""));
  await shot("combiner_hostile");
  // a LoRA of another base-model family: excluded, with the reason, in the view and on the node
  await pick(otherFamily.replace(/\.safetensors$/, ""), otherFamily);
  await page.waitForFunction((n) => [...document.querySelectorAll("[data-role=excluded-row]")].some((r) => r.textContent?.includes(n)),
    otherFamily, { timeout: 60000 });
  out.excluded = await page.evaluate(() => [...document.querySelectorAll("[data-role=excluded-row]")].map((r) => ({
    name: r.querySelector(".lwb-lora-name")?.textContent, reason: r.querySelector(".lwb-error")?.textContent })));
  out.excludedVerdicts = await page.evaluate(() => [...document.querySelectorAll("[data-verdict]")].map((v) => v.textContent));
  await shot("combiner_excluded");
  await page.click("[data-action=save]");
  await page.waitForFunction(() => document.querySelectorAll("[data-role=combiner-row]").length >= 5);
  await page.waitForFunction(() => /excluded/.test(document.querySelector("[data-role=combiner-verdict]")?.textContent ?? ""),
    null, { timeout: 60000 });
  out.excludedNodeVerdict = await text("[data-role=combiner-verdict]");
  out.hostile.nodeRows = await page.evaluate(() => [...document.querySelectorAll("[data-role=combiner-row] .lwb-lora-name")].map((e) => e.textContent));
  out.hostile.nodeInHtml = await page.evaluate((name) => document.querySelector(".lwb-combiner-widget")?.innerHTML.includes(name),
    hostileFile.replace(/\.safetensors$/, ""));

  // a saved block-weight profile (made by the test, by name) on the first LoRA: the preview and the node run agree
  if (profileName) {
    await page.click("[data-action=open-combiner]");
    await page.waitForSelector(".lwb-combiner");
    const before = (await previewSettled()).request;
    await page.click("[data-role=lora-list] .lwb-lora-row[data-index='0']");
    await page.locator(`[data-role=block-profile] option[value="${profileName}"]`).waitFor({ state: "attached", timeout: 30000 });
    await page.selectOption("[data-role=block-profile]", profileName);
    await page.waitForFunction((k) => /** @type {HTMLElement} */ (document.querySelector(".lwb-combiner")).dataset.previewKey !== k,
      before, { timeout: 60000 });
    out.profile = await previewSettled();
    await page.click("[data-action=save]");
    const ranWithProfile = await queueAndRead(page, baseUrl);
    out.profile.status = ranWithProfile.status;
    out.profile.ran = await page.evaluate((outputs) => {
      const app = window["app"]; const combiner = window["__lwbCombiner"];
      const preview = app.graph._nodes.find((n) => n.type === "PreviewAny" && n.inputs[0].link != null
        && app.graph.links.get?.(n.inputs[0].link)?.origin_id === combiner.id);
      return outputs[String(preview?.id)]?.text?.[0] ?? null;
    }, ranWithProfile.outputs);
  }

  // the node widget under the Vue node renderer ("Nodes 2.0"), when this frontend offers it
  out.vue = await page.evaluate(async () => {
    const app = window["app"]; const LG = window["LiteGraph"];
    const setting = app.extensionManager?.setting;
    if (!setting) return { available: false };
    const before = setting.get("Comfy.VueNodes.Enabled");
    await setting.set("Comfy.VueNodes.Enabled", true);
    const mounted = () => document.querySelectorAll(".lwb-combiner-widget").length;
    const before_ = mounted();
    const node = LG.createNode("LoraBlockWeightCombiner"); node.pos = [900, 300]; app.graph.add(node);
    // Wait (by animation frames, up to ~10 s) for the renderer to mount the new node's widget.
    for (let i = 0; i < 600 && mounted() <= before_; i++) {
      await new Promise((r) => requestAnimationFrame(() => r(null)));
    }
    const widgets = [...document.querySelectorAll(".lwb-combiner-widget")].map((e) => e.getBoundingClientRect())
      .filter((r) => r.width > 20 && r.height > 20);
    const result = { available: true, mode: !!LG.vueNodesMode, visibleWidgets: widgets.length,
      buttons: document.querySelectorAll("[data-action=open-combiner]").length };
    await setting.set("Comfy.VueNodes.Enabled", before);
    return result;
  });
} catch (err) {
  out.error = String(err && /** @type {Error} */ (err).stack || err);
  await shot("failure").catch(() => {});
} finally {
  out.dialogs = dialogs;
  out.pageErrors = pageErrors;
  console.log(JSON.stringify(out));
  await browser.close();
}
