// @ts-check
/**
 * The one way this pack builds DOM: `h(tag, props, ...children)`. Strings become text nodes and `text`
 * sets textContent, so a file or profile name can never become markup. There is no innerHTML here.
 */

/**
 * @typedef {{className?: string, text?: string, title?: string, style?: Partial<CSSStyleDeclaration>,
 *   dataset?: Record<string, string>, attrs?: Record<string, string>,
 *   on?: Record<string, EventListener>, [prop: string]: any}} Props
 */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {Props} [props] @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  const { className, text, title, style, dataset, attrs, on, ...rest } = props;
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  if (title !== undefined) el.title = title;
  if (style) Object.assign(el.style, style);
  if (dataset) Object.assign(el.dataset, dataset);
  for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, v);
  for (const [event, fn] of Object.entries(on ?? {})) el.addEventListener(event, fn);
  for (const [k, v] of Object.entries(rest)) /** @type {any} */ (el)[k] = v;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/** Remove every child of `el`. @param {Element} el */
export function clear(el) {
  el.replaceChildren();
}

/**
 * A number input that reports on change (typed or arrows), clamped to [min, max].
 * @param {{value: number, min: number, max: number, step: number, title?: string, onCommit: (v: number) => void,
 *   className?: string}} o
 */
export function numberInput({ value, min, max, step, title, onCommit, className = "lwb-num" }) {
  const input = h("input", { className, type: "number", value: String(value), min: String(min), max: String(max),
    step: String(step), title });
  input.addEventListener("change", () => {
    const v = Number(input.value);
    if (!Number.isFinite(v)) { input.value = String(value); return; }
    const clamped = Math.min(max, Math.max(min, v));
    input.value = String(clamped);
    onCommit(clamped);
  });
  return input;
}

/** Copy `text` to the clipboard; falls back to a selected textarea and execCommand. @param {string} text */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { value: text, style: { position: "fixed", opacity: "0" } });
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

/**
 * Size a canvas's backing store to its CSS box (device pixels) and return a context drawing in CSS pixels.
 * @param {HTMLCanvasElement} canvas
 */
export function fitCanvas(canvas) {
  const rect = canvas.getBoundingClientRect();
  const width = Math.max(1, Math.round(rect.width));
  const height = Math.max(1, Math.round(rect.height));
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== width * dpr || canvas.height !== height * dpr) {
    canvas.width = width * dpr;
    canvas.height = height * dpr;
  }
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, width, height };
}
