// @ts-check
/** Launch Debian's chromium headless through playwright-core, with only 127.0.0.1 reachable. */
import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-default-apps",
];

/** The renderer the flows run under: Nodes 2.0 (Vue nodes) when LWB_NODES_2=1, else the classic canvas. */
export const NODES_2 = process.env.LWB_NODES_2 === "1";

/** @param {string} baseUrl */
export async function openComfyPage(baseUrl) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  /** @type {{type: string, text: string, url: string}[]} */
  const console_ = [];
  /** @type {string[]} */
  const pageErrors = [];
  /** @type {string[]} */
  const blocked = [];
  page.on("console", (msg) => console_.push({ type: msg.type(), text: msg.text(), url: msg.location()?.url ?? "" }));
  page.on("pageerror", (err) => pageErrors.push(`${err.message}\n${err.stack ?? ""}`));
  const host = new URL(baseUrl).host;
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host === host || url.protocol === "data:" || url.protocol === "blob:") return route.continue();
    blocked.push(url.href);
    return route.abort();
  });
  await page.goto(baseUrl, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(() => Boolean(window["app"]?.graph && window["LiteGraph"]), null, { timeout: 60000 });
  // The test server's settings file chooses the renderer too; setting it here keeps the flows independent of it.
  await page.evaluate((on) => window["app"].extensionManager?.setting?.set("Comfy.VueNodes.Enabled", on), NODES_2);
  return { browser, page, console: console_, pageErrors, blocked };
}
