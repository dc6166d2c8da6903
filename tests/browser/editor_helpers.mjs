// @ts-check
/** Helpers shared by the editor's browser scripts: IndexedDB keys, queueing a prompt and reading what it ran. */

/** Keys of IndexedDB MadNodesDB/cache. @param {import("playwright-core").Page} page @returns {Promise<string[]>} */
export const idbKeys = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open("MadNodesDB", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("cache");
  open.onsuccess = () => {
    const keys = open.result.transaction("cache", "readonly").objectStore("cache").getAllKeys();
    keys.onsuccess = () => { open.result.close(); resolve(keys.result.map(String)); };
    keys.onerror = () => reject(keys.error);
  };
  open.onerror = () => reject(open.error);
}));

/**
 * Wait until the frontend finished its start-up: the pack's extension is set up and the startup workflow is loaded
 * (the workflow store's active workflow), so a graph the test builds is not replaced by it afterwards.
 * @param {import("playwright-core").Page} page
 */
export async function startupSettled(page) {
  await page.waitForFunction(() => window["__loraWeightsBuilder"], null, { timeout: 60000 });
  // A frontend whose workflow store differs falls back on "the graph has nodes" (the state before this helper).
  await page.waitForFunction(() => {
    const app = window["app"];
    const store = app?.extensionManager?.workflow;
    return store?.activeWorkflow ? store.activeWorkflow.isLoaded === true : app?.graph?._nodes?.length > 0;
  }, null, { timeout: 60000 }).catch(() => {});
}

/**
 * Queue the graph from the frontend (as the Queue button does) and wait for its history entry.
 * @param {import("playwright-core").Page} page @param {string} baseUrl
 * @returns {Promise<{status: string | null, texts: string[], outputs: Record<string, any>}>} the run's status,
 *   every text output, and the outputs by node id
 */
export async function queueAndRead(page, baseUrl) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/prompt") && r.request().method() === "POST", { timeout: 30000 }),
    page.evaluate(() => window["app"].queuePrompt(0, 1)),
  ]);
  const { prompt_id: id } = await response.json();
  for (let i = 0; i < 600; i++) {
    const entry = (await (await fetch(`${baseUrl}/history/${id}`)).json())[id];
    if (entry?.status?.completed !== undefined) {
      const texts = Object.values(entry.outputs ?? {}).flatMap((o) => /** @type {any} */ (o).text ?? []);
      return { status: entry.status.status_str ?? null, texts: texts.filter((t) => typeof t === "string"),
        outputs: entry.outputs ?? {} };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { status: null, texts: [], outputs: {} };
}

/**
 * Pick a LoRA in the open picker as a user does: type `query`, wait until the rows answer that query with the
 * library indexed (a later answer would redraw them under the pointer), click the row of `name`, and wait for the
 * picker to close (the pick happened).
 * @param {import("playwright-core").Page} page @param {string} query @param {string} name @param {number} [timeout]
 */
export async function pickLora(page, query, name, timeout = 120000) {
  await page.fill("[data-role=picker-search]", query);
  await page.waitForFunction((q) => {
    const status = document.querySelector("[data-role=picker-status]")?.textContent ?? "";
    return document.querySelector("[data-role=picker-list]")?.getAttribute("data-query") === q
      && /^\d+ LoRAs/.test(status) && !status.includes("indexing");
  }, query, { timeout });
  await page.locator(".lwb-picker-item", { hasText: name }).first().click({ timeout: 30000 });
  await page.locator(".lwb-picker-overlay").waitFor({ state: "detached", timeout: 30000 });
}
