// @ts-check
/**
 * Open the URL `./dev demo` prints (`/?template=NAME&source=PACK_FOLDER`) and print the node types of the
 * graph the frontend opened (one JSON object on stdout).
 * usage: node tests/browser/open_template.mjs http://127.0.0.1:PORT/?template=...&source=...
 */
import { openComfyPage } from "./launch.mjs";

const [url] = process.argv.slice(2);
const { browser, page, pageErrors } = await openComfyPage(url);
try {
  await page.waitForFunction(
    () => window["app"].graph._nodes.some((/** @type {any} */ n) => n.type === "MultiScheduledLoraLoader"),
    null, { timeout: 60000 });
  const nodeTypes = await page.evaluate(() => window["app"].graph._nodes.map((/** @type {any} */ n) => n.type));
  console.log(JSON.stringify({ nodeTypes, pageErrors }));
} finally {
  await browser.close();
}
