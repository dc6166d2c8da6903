// @ts-check
/**
 * Browser smoke test: the ComfyUI page loads, the pack's JS module is served and runs, and the pack
 * logs no console error. Prints one JSON object for the pytest wrapper to assert on.
 * usage: node tests/browser/smoke.mjs http://127.0.0.1:PORT PACK_FOLDER_NAME [screenshot.png]
 */
import { openComfyPage } from "./launch.mjs";

const [baseUrl, packFolder, screenshot] = process.argv.slice(2);
const started = Date.now();
const { browser, page, console: messages, pageErrors, blocked } = await openComfyPage(baseUrl);
try {
  const marker = await page
    .waitForFunction(() => window["__loraWeightsBuilder"], null, { timeout: 30000 })
    // The marker also holds live objects (the library tab, the metadata cache): read its plain fields only.
    .then(() => page.evaluate(() => {
      const m = window["__loraWeightsBuilder"];
      return { version: m.version, backend: m.backend, libraryPlace: String(m.libraryPlace ?? "") };
    }))
    .catch(() => null);
  const nodeTypes = await page.evaluate(() => Object.keys(window["LiteGraph"].registered_node_types));
  // What the page runs, read from the frontend itself: its version and whether Vue nodes render the graph.
  const frontend = await page.evaluate(() => ({
    version: window["__COMFYUI_FRONTEND_VERSION__"] ?? null,
    vueNodes: Boolean(window["LiteGraph"].vueNodesMode),
    vueNodeElements: document.querySelectorAll("[data-node-id]").length,
  }));
  if (screenshot) await page.screenshot({ path: screenshot });
  const packPath = `/extensions/${encodeURIComponent(packFolder)}/`;
  const packPathRaw = `/extensions/${packFolder}/`;
  const fromPack = (/** @type {string} */ s) => s.includes(packPath) || s.includes(packPathRaw) || s.includes("LoRAWeightsBuilder");
  console.log(JSON.stringify({
    marker,
    frontend,
    packNodeTypes: nodeTypes.filter((t) => t.startsWith("LoraWeightsBuilder")),
    packConsoleErrors: messages.filter((m) => (m.type === "error" || m.type === "warning") && (fromPack(m.url) || fromPack(m.text))),
    packPageErrors: pageErrors.filter(fromPack),
    extensionsSeen: messages.filter((m) => fromPack(m.url) || fromPack(m.text)).map((m) => m.text),
    allPageErrors: pageErrors,
    blocked,
    seconds: (Date.now() - started) / 1000,
  }));
} finally {
  await browser.close();
}
