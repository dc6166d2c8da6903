// @ts-check
/**
 * ComfyUI's event source for websocket messages (the frontend's `api` object), handed over by the
 * extension entry. Editor modules read it from here instead of importing ComfyUI's scripts, so they
 * also load under `node --test`, where there is no ComfyUI.
 */

/** @type {EventTarget | null} */
let source = null;

/** @param {EventTarget} target */
export function setComfyEvents(target) {
  source = target;
}

/** @returns {EventTarget | null} */
export function comfyEvents() {
  return source;
}
