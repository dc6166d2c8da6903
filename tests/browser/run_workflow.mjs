// @ts-check
/**
 * Load a workflow file into the real ComfyUI frontend, queue it from the page, and print the
 * outputs the server recorded for that prompt (one JSON object on stdout).
 * usage: node tests/browser/run_workflow.mjs http://127.0.0.1:PORT workflow.json [screenshot.png]
 */
import { readFile } from "node:fs/promises";
import { openComfyPage } from "./launch.mjs";

const [baseUrl, workflowPath, screenshot] = process.argv.slice(2);
const workflow = JSON.parse(await readFile(workflowPath, "utf8"));
const { browser, page, pageErrors } = await openComfyPage(baseUrl);
try {
  await page.evaluate(async (wf) => {
    await window["app"].loadGraphData(wf);
  }, workflow);
  const nodeTypes = await page.evaluate(() => window["app"].graph._nodes.map((n) => n.type));
  const queued = await page.evaluate(async () => {
    const response = await window["app"].queuePrompt(0, 1);
    return response ?? null;
  });
  // Poll the history for the newest prompt until it completes.
  let entry = null;
  for (let i = 0; i < 600 && !entry; i++) {
    const history = await (await fetch(`${baseUrl}/history?max_items=1`)).json();
    const [first] = Object.values(history);
    if (first && first.status && first.status.completed !== undefined) entry = first;
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (screenshot) await page.screenshot({ path: screenshot });
  console.log(JSON.stringify({ nodeTypes, queued: queued !== null, entry, pageErrors }));
} finally {
  await browser.close();
}
