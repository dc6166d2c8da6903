// @ts-check
/**
 * ComfyUI frontend entry of LoRA Weights Builder. ComfyUI imports every .js file under WEB_DIRECTORY;
 * this one registers the extension (the only module with side effects). Pure logic lives in ./lib,
 * DOM code in ./editor.
 */
// ComfyUI serves these two modules at run time; its frontend package ships no type declarations.
// @ts-ignore
import { api as comfyApi } from "../../scripts/api.js";
// @ts-ignore
import { app } from "../../scripts/app.js";
import { EditorApi } from "./lib/api.js";
import { openIdbStorage } from "./lib/idb_storage.js";
import { MetadataCache, memoryStorage } from "./lib/metadata_cache.js";
import { setComfyEvents } from "./editor/comfy_events.js";
import { installKeyGuard } from "./editor/key_guard.js";
import { NODE_CLASS, attachScheduleWidget } from "./editor/node_widget.js";
import { SHOW_TEXT_CLASS, attachShowTextWidget, executedText } from "./editor/show_text_widget.js";
import { COMBINER_CLASS, attachCombinerWidget } from "./editor/combiner_widget.js";
import { installDropTarget } from "./library/graph_targets.js";
import { LibraryTab } from "./library/library_tab.js";
import { mountLibrary } from "./library/library_mount.js";

export const EXTENSION_NAME = "LoRAWeightsBuilder";
export const PACK_VERSION = "0.1.0";

/** Every request of the pack goes through ComfyUI's API helper (sub-path, Comfy-User header). */
const api = new EditorApi(comfyApi);
/** @type {Promise<MetadataCache> | null} */
let cachePromise = null;

/** The metadata cache, opened on first use (IndexedDB, or memory when the browser refuses it). */
function metadataCache() {
  cachePromise ??= openIdbStorage(window.indexedDB)
    .catch((err) => {
      console.warn(`[${EXTENSION_NAME}] IndexedDB unavailable, caching in memory: ${err}`);
      return memoryStorage();
    })
    .then((storage) => new MetadataCache({ storage, legacy: window.localStorage, fetch: (route, init) => api.fetch(route, init) }));
  return cachePromise;
}

/** A short message in ComfyUI's toast area (console when the frontend has none). @param {string} message @param {boolean} [error] */
function notify(message, error = false) {
  const toast = /** @type {any} */ (app).extensionManager?.toast;
  if (toast?.add) toast.add({ severity: error ? "error" : "info", summary: "LoRA Library", detail: message, life: 4000 });
  else console[error ? "warn" : "info"](`[${EXTENSION_NAME}] ${message}`);
}

/**
 * Wrap `object[name]` so the original still runs first.
 * @param {any} object @param {string} name @param {(...args: any[]) => void} fn
 */
function chain(object, name, fn) {
  const original = object[name];
  object[name] = function chained(/** @type {any[]} */ ...args) {
    const result = original?.apply(this, args);
    fn.apply(this, args);
    return result;
  };
}

app.registerExtension({
  name: EXTENSION_NAME,
  init() {
    installKeyGuard(window);
    setComfyEvents(comfyApi);
  },
  async setup() {
    const info = await api.packInfo();
    if (!info || info.version !== PACK_VERSION) {
      console.warn(`[${EXTENSION_NAME}] backend version ${info?.version} does not match frontend ${PACK_VERSION}`);
    }
    const library = new LibraryTab({ api, app, storage: window.localStorage, notify });
    const libraryPlace = mountLibrary(app, library);
    installDropTarget(app, { onAdded: (m) => notify(m), onError: (m) => notify(m, true) });
    // A marker the browser tests read; also handy when debugging from the console.
    Object.defineProperty(window, "__loraWeightsBuilder", {
      value: Object.freeze({ version: PACK_VERSION, backend: info, metadataCache, library, libraryPlace }),
      configurable: true,
    });
  },
  nodeCreated(node) {
    if (node.comfyClass === SHOW_TEXT_CLASS) {
      const shown = attachShowTextWidget(node);
      node.lwbShownText = () => shown.text();
      chain(node, "onExecuted", (/** @type {any} */ message) => shown.show(executedText(message)));
      node.setSize([Math.max(node.size[0], 420), Math.max(node.size[1], 120)]);
      return;
    }
    if (node.comfyClass === COMBINER_CLASS) {
      const combiner = attachCombinerWidget(node, { api, cache: metadataCache });
      node.lwbCombiner = combiner;
      node.setSize([Math.max(node.size[0], 340), node.computeSize()[1]]);
      chain(node, "onConfigure", () => combiner.refresh());
      chain(node, "onRemoved", () => { combiner.destroy(); delete node.lwbCombiner; });
      return;
    }
    if (node.comfyClass !== NODE_CLASS) return;
    const handle = attachScheduleWidget(node, { api, cache: metadataCache });
    node.lwbEditor = handle;
    node.setSize([Math.max(node.size[0], 340), node.computeSize()[1]]);
    chain(node, "onConfigure", () => handle.refresh());
    chain(node, "onRemoved", () => { handle.destroy(); delete node.lwbEditor; });
  },
});
