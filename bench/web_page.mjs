// @ts-check
// A headless Chromium page that serves the pack's web/ folder as ES modules (no ComfyUI), for benches that time
// the editor's drawing code: `withWebPage(html, async (page) => ...)` opens it on `html` and closes the browser.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "../tests/browser/node_modules/playwright-core/index.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WEB = path.join(ROOT, "web");
const ORIGIN = "http://bench.invalid";

/**
 * Run `body` with a 1400x900 page at a made-up origin whose root is `html` and whose other paths are files of web/.
 * @template T @param {string} html @param {(page: import("playwright-core").Page) => Promise<T>} body @returns {Promise<T>}
 */
export async function withWebPage(html, body) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.route(`${ORIGIN}/**`, async (route) => {
      const rel = new URL(route.request().url()).pathname.slice(1);
      if (!rel) return route.fulfill({ contentType: "text/html", body: html });
      return route.fulfill({ contentType: "text/javascript", body: await readFile(path.join(WEB, rel), "utf8") });
    });
    await page.goto(`${ORIGIN}/`);
    return await body(page);
  } finally {
    await browser.close();
  }
}
