// @ts-check
/**
 * One card of the library grid: selection box, lazy thumbnail, name, architecture / role / format badges,
 * user tags, the input / mid / output energy sparkline, favourite star and a details button. Cards are
 * pooled: `createCard` builds the elements once, `bindCard` rewrites their text and attributes for
 * another LoRA (textContent only). Clicks are handled by the tab through delegation (`data-action`).
 */

import { energySplit, sparkBars, splitText } from "../lib/sparkline.js";
import { h } from "../editor/dom.js";
import { isVideo } from "./detail_view.js";

export const SPARK_W = 30;
export const SPARK_H = 18;

/** The badge slots of a card, in order; tag slots repeat. */
const BADGES = [["arch-badge", ""], ["role-badge", "lwb-badge-role"], ["format-badge", "lwb-badge-format"],
  ["rank-badge", "lwb-badge-rank"], ...Array.from({ length: 4 }, () => ["tag-badge", "lwb-badge-tag"]), ["error-badge", "lwb-badge-error"]];

/** @returns {HTMLElement} */
export function createCard() {
  const bars = ["input", "mid", "output"].map((part) => h("div", { className: `lwb-spark-bar lwb-spark-${part}` }));
  return h("div", { className: "lwb-card", draggable: true },
    h("input", { type: "checkbox", className: "lwb-card-check", tabIndex: -1, dataset: { action: "select" } }),
    h("div", { className: "lwb-thumb" }, h("img", { alt: "", decoding: "async", draggable: false })),
    h("div", { className: "lwb-card-main" },
      h("div", { className: "lwb-card-name" }, ""),
      h("div", { className: "lwb-card-badges" }, ...BADGES.map(([, className]) => h("span", { className: `lwb-badge ${className}`, hidden: true }, "")))),
    h("div", { className: "lwb-spark", dataset: { role: "sparkline" } }, ...bars),
    h("button", { className: "lwb-star", dataset: { action: "favourite" } }, ""),
    h("button", { className: "lwb-card-info", text: "›", title: "Details", dataset: { action: "details" } }));
}

/**
 * Set an element's text by rewriting its one text node in place. Cards are rebound on every scroll step
 * that brings them a new LoRA, and in the ComfyUI page any node inserted or removed (which `textContent =`
 * does: it replaces the text node) makes the next style recalculation cost ~10 ms whatever the containment
 * (measured: 10-15 ms per frame; rewriting the node's data: 0.5 ms). Unchanged text is not written.
 * @param {HTMLElement} el @param {string} text
 */
function setText(el, text) {
  const node = el.firstChild;
  if (node && node === el.lastChild && node.nodeType === Node.TEXT_NODE) {
    if (/** @type {Text} */ (node).data !== text) /** @type {Text} */ (node).data = text;
  } else el.textContent = text;
}

/**
 * One badge slot: shown with `text`, or hidden and without its `data-role` (so a query for the role finds
 * only shown badges). @param {HTMLElement} el @param {string} text @param {string} role
 */
function setBadge(el, text, role) {
  const shown = Boolean(text);
  if (el.hidden !== !shown) el.hidden = !shown;
  setText(el, text);
  if (shown && el.dataset.role !== role) el.dataset.role = role;
  else if (!shown && el.dataset.role) delete el.dataset.role;
}

/** The badge texts of an item, one per slot of BADGES ("" = slot hidden). @param {any} item @returns {string[]} */
function badgeTexts(item) {
  const tags = Array.isArray(item?.user_tags) ? item.user_tags.slice(0, 4).map(String) : [];
  if (!item) return BADGES.map(() => "");
  return [item.arch ? String(item.arch) : "", item.role && item.role !== "other" ? String(item.role) : "",
    item.adapter && item.adapter !== "lora" ? String(item.adapter) : "", item.rank ? `r${item.rank}` : "",
    ...Array.from({ length: 4 }, (_, i) => tags[i] ?? ""), item.error ? "⚠" : ""];
}

/**
 * Show a decoded thumbnail in a card's <img> (called by the tab's thumbnail queue once the image is
 * decoded), or the placeholder when it failed to load.
 * @param {HTMLImageElement} img @param {string} url @param {boolean} ok
 */
export function showThumbnail(img, url, ok) {
  const thumb = /** @type {HTMLElement} */ (img.parentElement);
  if (ok && img.getAttribute("src") !== url) img.src = url;
  thumb.dataset.kind = ok ? "image" : "none";
}

/**
 * @param {HTMLElement} card @param {any} item undefined while its page loads
 * @param {number} index @param {{selected: boolean, previewUrl: (name: string) => string,
 *   thumbnail: (img: HTMLImageElement, url: string) => boolean}} o
 *   `thumbnail` asks for the card's image ("" = none); it returns true when it was shown at once, else the
 *   card shows the placeholder ("wait") until `showThumbnail` is called for it
 */
export function bindCard(card, item, index, { selected, previewUrl, thumbnail }) {
  const parts = card.children; // indexed, not spread: no garbage per bind
  const check = /** @type {HTMLInputElement} */ (parts[0]), thumb = /** @type {HTMLElement} */ (parts[1]);
  const main = parts[2], spark = /** @type {HTMLElement} */ (parts[3]), star = /** @type {HTMLElement} */ (parts[4]);
  const img = /** @type {HTMLImageElement} */ (thumb.firstElementChild);
  const name = /** @type {HTMLElement} */ (main.children[0]), badges = main.children[1];
  const index_ = String(index);
  if (card.dataset.index !== index_) card.dataset.index = index_;
  card.classList.toggle("lwb-active", selected);
  if (check.checked !== selected) check.checked = selected;
  card.classList.toggle("lwb-loading", !item);
  if (item) { if (card.dataset.name !== item.name) card.dataset.name = item.name; } else if (card.dataset.name !== undefined) delete card.dataset.name;
  setText(name, item ? item.name.split("/").pop() ?? item.name : "…");
  if (name.title !== (item?.name ?? "")) name.title = item?.name ?? "";
  badgeTexts(item).forEach((text, i) => setBadge(/** @type {HTMLElement} */ (badges.children[i]), text, BADGES[i][0]));
  const image = Boolean(item?.preview) && !isVideo(item.preview);
  const kind = !item?.preview ? "none" : image ? "wait" : "video";
  const url = image ? previewUrl(item.name) : "";
  if (!thumbnail(img, url) || !image) { if (thumb.dataset.kind !== kind) thumb.dataset.kind = kind; }
  const split = item ? energySplit(item.energy) : null;
  if (spark.hidden !== !split) spark.hidden = !split;
  if (split) {
    const title = `block energy: ${splitText(split)}`;
    if (spark.title !== title) spark.title = title;
    sparkBars(split, SPARK_W, SPARK_H).forEach((bar, i) => {
      const style = /** @type {HTMLElement} */ (spark.children[i]).style;
      if (style.height !== `${bar.h}px`) style.height = `${bar.h}px`;
    });
  }
  const favourite = Boolean(item?.favourite);
  setText(star, item ? (favourite ? "★" : "☆") : "");
  star.classList.toggle("lwb-on", favourite);
  const starTitle = !item ? "" : favourite ? "Favourite (click to remove)" : "Mark as favourite";
  if (star.title !== starTitle) star.title = starTitle;
}
