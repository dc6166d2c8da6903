// @ts-check
/**
 * "Send to loader": a combine result written into a Multi Scheduled LoRA Loader's `schedule_config`.
 * Pure. The result becomes one profile of the loader (named `COMBINER_PROFILE`, replaced on each send,
 * made active); the loader's other profiles stay as they were, so sending never loses the user's work.
 *
 * The items are exactly the combiner's output items: the included LoRAs in order, with the combined
 * strengths and the block values that differ from 1 (the engine's own rule), and the curve the route's
 * schedule string carries for that LoRA. The loader then runs the same schedule string the route returned.
 */

import { DEFAULT_PROFILE, emptyProfile, paletteColor, readConfig, writeConfig } from "./config_model.js";
import { ScheduleError, UNKNOWN_ARCH, defaultPoints, parseScheduleString } from "./schedule.js";

export const COMBINER_PROFILE = "Combiner";

/**
 * @typedef {{lora_name: string, included?: boolean, strength_model: number, strength_clip: number,
 *   block_values?: Record<string, number>, arch?: string}} ResultLora
 * @typedef {{loras: ResultLora[], schedule_string?: string}} CombineResponse
 */

/**
 * The loader items of a combine response.
 * @param {CombineResponse} response
 * @returns {import("./config_model.js").EditorItem[]}
 */
export function resultItems(response) {
  const included = (response.loras ?? []).filter((l) => l.included !== false);
  let curves = [];
  try {
    curves = parseScheduleString(response.schedule_string ?? "");
  } catch (err) {
    throw new ScheduleError(`the combine result's schedule string: ${/** @type {Error} */ (err).message}`);
  }
  return included.map((lora, i) => {
    const vectors = Object.fromEntries(Object.entries(lora.block_values ?? {}).filter(([, v]) => v !== 1));
    return { lora_name: lora.lora_name, enabled: true, strength_model: lora.strength_model,
      strength_clip: lora.strength_clip, points: curves[i]?.points ?? defaultPoints(),
      arch: lora.arch ?? UNKNOWN_ARCH, preset: null, vectors, color: paletteColor(i) };
  });
}

/**
 * The loader's new `schedule_config`: its current config with the `COMBINER_PROFILE` profile set to the
 * result and active. A loader config that cannot be read is replaced (its text is returned as `replaced`
 * so the caller can say so).
 * @param {CombineResponse} response @param {string | null | undefined} loaderConfig
 * @returns {{text: string, replaced: string | null, count: number}}
 */
export function loaderConfigWithResult(response, loaderConfig) {
  const items = resultItems(response);
  let model;
  let replaced = null;
  try {
    model = readConfig(loaderConfig);
  } catch {
    model = readConfig("");
    replaced = String(loaderConfig ?? "");
  }
  // An untouched loader has one empty Default profile: use it rather than adding a second one.
  const onlyEmptyDefault = model.profiles.size === 1 && model.profiles.get(DEFAULT_PROFILE)?.loras.length === 0;
  const name = onlyEmptyDefault ? DEFAULT_PROFILE : COMBINER_PROFILE;
  const profile = emptyProfile(model.profiles.get(name)?.settings.snap);
  profile.loras = items;
  model.profiles.set(name, profile);
  model.active = name;
  return { text: writeConfig(model), replaced, count: items.length };
}
