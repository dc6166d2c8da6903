// @ts-check
/**
 * ComfyUI frontend entry of LoRA Weights Builder. ComfyUI imports every .js file under WEB_DIRECTORY;
 * this one registers the extension. Pure logic lives in ./lib and has no DOM access.
 */
import { app } from "../../scripts/app.js";

export const EXTENSION_NAME = "LoRAWeightsBuilder";
export const PACK_VERSION = "0.1.0";

app.registerExtension({
  name: EXTENSION_NAME,
  async setup() {
    const response = await fetch("/mad-nodes/pack-info");
    const info = response.ok ? await response.json() : null;
    if (!info || info.version !== PACK_VERSION) {
      console.warn(`[${EXTENSION_NAME}] backend version ${info?.version} does not match frontend ${PACK_VERSION}`);
    }
    // A marker the browser tests read; also handy when debugging from the console.
    Object.defineProperty(window, "__loraWeightsBuilder", {
      value: Object.freeze({ version: PACK_VERSION, backend: info }),
      configurable: true,
    });
  },
});
