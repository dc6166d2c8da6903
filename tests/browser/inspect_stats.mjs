// @ts-check
/**
 * A LoRA whose block energy takes a while: the editor shows the pending state, then fills the energy
 * bars when the `lwb.inspect.stats` websocket event arrives (no polling: the script counts the
 * inspect requests the page makes). Prints one JSON object for the pytest wrapper.
 * usage: node tests/browser/inspect_stats.mjs http://127.0.0.1:PORT LORA_FILE_NAME
 */
import { pickLora } from "./editor_helpers.mjs";
import { openComfyPage } from "./launch.mjs";

const [baseUrl, loraName] = process.argv.slice(2);
const { browser, page, pageErrors } = await openComfyPage(baseUrl);
/** @type {Record<string, any>} */
const out = { inspectRequests: 0 };
page.on("request", (req) => { if (req.url().includes("/mad-nodes/inspect-lora")) out.inspectRequests += 1; });

/** {block id: bar width in %} of the block panel. */
const bars = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll(".lwb-block")].map((row) => [
  row.querySelector("input[data-block]")?.getAttribute("data-block"),
  Number.parseFloat(/** @type {HTMLElement} */ (row.querySelector(".lwb-bar > div"))?.style.width ?? "0"),
])));

try {
  await page.waitForFunction(() => window["__loraWeightsBuilder"], null, { timeout: 30000 });
  await page.waitForFunction(() => window["app"].graph._nodes.length > 0, null, { timeout: 30000 }).catch(() => {});
  await page.evaluate(async () => {
    const app = window["app"]; const LG = window["LiteGraph"];
    for (const n of [...app.graph._nodes]) app.graph.remove(n);
    const node = LG.createNode("MultiScheduledLoraLoader"); node.pos = [80, 120]; app.graph.add(node);
  });
  await page.click("[data-action=open-editor]");
  await page.waitForSelector(".lwb-editor");
  await page.click("[data-action=add-lora]");
  await pickLora(page, loraName.replace(/\.safetensors$/, ""), loraName);
  const note = page.locator("[data-role=stats-note]");
  await note.filter({ hasText: "Computing block energy" }).waitFor({ timeout: 60000 });
  out.pendingNote = await note.textContent();
  out.barsWhilePending = await bars();
  out.requestsWhilePending = out.inspectRequests;
  // The bars fill when the event arrives: wait for a full bar (the largest block is 100%).
  await page.waitForFunction(() => [...document.querySelectorAll(".lwb-bar > div")]
    .some((d) => /** @type {HTMLElement} */ (d).style.width === "100%"), null, { timeout: 600000 });
  out.barsAfterEvent = await bars();
  out.noteAfterEvent = await page.locator("[data-role=stats-note]").count();
  out.requestsAfterEvent = out.inspectRequests;
  await page.screenshot({ path: `${process.env.TMPDIR ?? "/tmp"}/lwb_inspect_stats.png` });
} catch (err) {
  out.error = String(/** @type {Error} */ (err).stack ?? err);
}
out.pageErrors = pageErrors;
await browser.close();
console.log(JSON.stringify(out));
