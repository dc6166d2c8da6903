// @ts-check
/**
 * Keys typed in the pack's dialogs must not reach ComfyUI: its change tracker listens on `window` in
 * the capture phase, so Ctrl+Z inside the editor would undo the *graph* (and remove the node being
 * edited). One window capture listener, installed by the entry's `init` hook (before the graph's own
 * listeners exist), hands such keys to the dialog that owns them and stops them there.
 */

export const OWNER_CLASS = "lwb-overlay";

/**
 * Mark `overlay` as owning the keys typed inside it.
 * @param {HTMLElement} overlay @param {(e: KeyboardEvent) => void} handler
 */
export function ownKeys(overlay, handler) {
  overlay.classList.add(OWNER_CLASS);
  /** @type {any} */ (overlay).lwbKeyHandler = handler;
}

/** @param {KeyboardEvent} e */
function route(e) {
  const target = /** @type {Element | null} */ (e.target instanceof Element ? e.target : null);
  const overlay = /** @type {any} */ (target?.closest(`.${OWNER_CLASS}`));
  if (!overlay?.lwbKeyHandler) return;
  if (e.type === "keydown") overlay.lwbKeyHandler(e);
  e.stopImmediatePropagation();
}

/** Install the guard once per window; returns its remover. @param {Window} win */
export function installKeyGuard(win) {
  win.addEventListener("keydown", route, { capture: true });
  win.addEventListener("keyup", route, { capture: true });
  return () => {
    win.removeEventListener("keydown", route, { capture: true });
    win.removeEventListener("keyup", route, { capture: true });
  };
}
