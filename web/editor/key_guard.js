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

/**
 * Whether a key went to a field the user types in (not the dialog's read-only key sink, not a checkbox): the
 * editors' own shortcuts leave such keys to the field.
 * @param {KeyboardEvent} e @param {HTMLElement} keySink
 */
export function isTyping(e, keySink) {
  const target = /** @type {HTMLElement} */ (e.target);
  return target !== keySink && ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName)
    && /** @type {HTMLInputElement} */ (target).type !== "checkbox";
}

/** -1 for Ctrl/⌘+Z (undo), 1 for Ctrl/⌘+Y or Ctrl/⌘+Shift+Z (redo), 0 for any other key. @param {KeyboardEvent} e */
export function undoStep(e) {
  if (!(e.ctrlKey || e.metaKey)) return 0;
  const key = e.key.toLowerCase();
  return key === "z" ? (e.shiftKey ? 1 : -1) : key === "y" ? 1 : 0;
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
