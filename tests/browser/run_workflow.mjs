// @ts-check
/**
 * Load a workflow file into the real ComfyUI frontend, queue it from the page, and print the
 * outputs the server recorded for that prompt (one JSON object on stdout).
 * usage: node tests/browser/run_workflow.mjs http://127.0.0.1:PORT workflow.json [screenshot.png]
 */
import { readFile } from "node:fs/promises";
import { queueAndRead } from "./editor_helpers.mjs";
import { openComfyPage } from "./launch.mjs";

const [baseUrl, workflowPath, screenshot] = process.argv.slice(2);
const workflow = JSON.parse(await readFile(workflowPath, "utf8"));
const { browser, page, pageErrors } = await openComfyPage(baseUrl);
try {
  await page.evaluate(async (wf) => {
    await window["app"].loadGraphData(wf);
  }, workflow);
  const nodeTypes = await page.evaluate(() => window["app"].graph._nodes.map((n) => n.type));
  const ran = await queueAndRead(page, baseUrl);
  const entry = ran.status === null ? null : { status: { status_str: ran.status }, outputs: ran.outputs };
  // What each "Show Text (Weights Builder)" node shows on the page once its `executed` message arrived.
  /** @type {Record<string, string>} */
  const shown = {};
  if (entry && entry.status.status_str === "success") {
    await page.waitForFunction(() => window["app"].graph._nodes
      .filter((/** @type {any} */ n) => n.type === "LoraWeightsBuilderShowText")
      .every((/** @type {any} */ n) => n.lwbShownText && n.lwbShownText() !== ""), null, { timeout: 60000 });
    Object.assign(shown, await page.evaluate(() => Object.fromEntries(window["app"].graph._nodes
      .filter((/** @type {any} */ n) => n.type === "LoraWeightsBuilderShowText")
      .map((/** @type {any} */ n) => [String(n.id), n.lwbShownText()]))));
  }
  if (screenshot) await page.screenshot({ path: screenshot });
  console.log(JSON.stringify({ nodeTypes, entry, shown, pageErrors }));
} finally {
  await browser.close();
}
