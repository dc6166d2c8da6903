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

/** @returns {HTMLElement} */
export function createCard() {
  const bars = ["input", "mid", "output"].map((part) => h("div", { className: `lwb-spark-bar lwb-spark-${part}` }));
  return h("div", { className: "lwb-card", draggable: true },
    h("input", { type: "checkbox", className: "lwb-card-check", tabIndex: -1, dataset: { action: "select" } }),
    h("div", { className: "lwb-thumb" }, h("img", { alt: "", decoding: "async", draggable: false })),
    h("div", { className: "lwb-card-main" },
      h("div", { className: "lwb-card-name" }),
      h("div", { className: "lwb-card-badges" })),
    h("div", { className: "lwb-spark", dataset: { role: "sparkline" } }, ...bars),
    h("button", { className: "lwb-star", dataset: { action: "favourite" } }),
    h("button", { className: "lwb-card-info", text: "›", title: "Details", dataset: { action: "details" } }));
}

/** @param {string} text @param {string} className @param {string} role */
const badge = (text, className, role) => h("span", { className: `lwb-badge ${className}`, text, dataset: { role } });

/**
 * @param {HTMLElement} card @param {any} item undefined while its page loads
 * @param {number} index @param {{selected: boolean, previewUrl: (name: string) => string, thumbnails?: boolean}} o
 *   `thumbnails: false` while the list scrolls fast: the card keeps its placeholder and the tab binds again
 *   once the scroll rests, so a fling does not start (and decode) a request per card it passes
 */
export function bindCard(card, item, index, { selected, previewUrl, thumbnails = true }) {
  const [check, thumb, main, spark, star] = /** @type {HTMLElement[]} */ ([...card.children]);
  const img = /** @type {HTMLImageElement} */ (thumb.firstElementChild);
  const [name, badges] = /** @type {HTMLElement[]} */ ([...main.children]);
  card.dataset.index = String(index);
  card.classList.toggle("lwb-active", selected);
  /** @type {HTMLInputElement} */ (check).checked = selected;
  if (!item) {
    card.classList.add("lwb-loading");
    delete card.dataset.name;
    name.textContent = "…";
    name.title = "";
    badges.replaceChildren();
    img.removeAttribute("src");
    thumb.dataset.kind = "none";
    spark.hidden = true;
    star.textContent = "";
    return;
  }
  card.classList.remove("lwb-loading");
  card.dataset.name = item.name;
  name.textContent = item.name.split("/").pop() ?? item.name;
  name.title = item.name;
  const tags = Array.isArray(item.user_tags) ? item.user_tags : [];
  badges.replaceChildren(
    item.arch ? badge(item.arch, "", "arch-badge") : "",
    item.role && item.role !== "other" ? badge(item.role, "lwb-badge-role", "role-badge") : "",
    item.adapter && item.adapter !== "lora" ? badge(item.adapter, "lwb-badge-format", "format-badge") : "",
    item.rank ? badge(`r${item.rank}`, "lwb-badge-rank", "rank-badge") : "",
    ...tags.slice(0, 4).map((/** @type {string} */ t) => badge(t, "lwb-badge-tag", "tag-badge")),
    item.error ? badge("⚠", "lwb-badge-error", "error-badge") : "");
  if (item.preview && !isVideo(item.preview)) {
    const url = previewUrl(item.name);
    if (!thumbnails) img.removeAttribute("src");
    else if (img.getAttribute("src") !== url) img.src = url;
    thumb.dataset.kind = thumbnails ? "image" : "none";
  } else {
    img.removeAttribute("src");
    thumb.dataset.kind = item.preview ? "video" : "none";
  }
  const split = energySplit(item.energy);
  spark.hidden = !split;
  if (split) {
    spark.title = `block energy: ${splitText(split)}`;
    sparkBars(split, SPARK_W, SPARK_H).forEach((bar, i) => {
      /** @type {HTMLElement} */ (spark.children[i]).style.height = `${bar.h}px`;
    });
  }
  star.textContent = item.favourite ? "★" : "☆";
  star.classList.toggle("lwb-on", Boolean(item.favourite));
  star.title = item.favourite ? "Favourite (click to remove)" : "Mark as favourite";
}
