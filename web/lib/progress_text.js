// @ts-check
/**
 * Wording of the progress a user may be waiting on (pure, no DOM): the library scan and the background
 * block-energy pass, from their websocket events (`lwb.library.scan`, `lwb.library.energy`) or from
 * `GET /mad-nodes/library/status`. An empty string means there is nothing to show.
 */

/** ComfyUI websocket event with the background block-energy progress (modules/library/energy_backlog.py). */
export const ENERGY_EVENT = "lwb.library.energy";

/**
 * @param {any} progress an energy event's data, or the `energy` of the library status
 * @returns {{text: string, paused: boolean, active: boolean}}
 */
export function energyProgress(progress) {
  if (!progress || typeof progress !== "object") return { text: "", paused: false, active: false };
  const total = Number(progress.total);
  const measured = Number(progress.done ?? 0) + Number(progress.failed ?? 0);
  const counts = Number.isFinite(total) && total > 0 ? ` ${measured} of ${total}` : "";
  const failed = Number(progress.failed) > 0 ? ` (${progress.failed} failed)` : "";
  if (progress.paused || progress.phase === "paused") {
    return { text: `Block energy paused${counts ? ` at${counts}` : ""}`, paused: true, active: true };
  }
  if (progress.phase === "running") {
    return { text: `Measuring block energy:${counts}${failed}`, paused: false, active: true };
  }
  if (progress.phase === "failed") return { text: "Block energy pass failed (see the console)", paused: false, active: false };
  return { text: "", paused: false, active: false };
}
