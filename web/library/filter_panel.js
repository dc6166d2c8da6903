// @ts-check
/**
 * The filter panel of the library tab: a checkbox list per facet (family, layout, role, format, tag)
 * with the count each value would give, yes/no menus (favourite, text encoder, preview) with counts, a
 * folder menu, a rank range and the tag mode (any / all). Inputs the user types into are built once and
 * kept; only the value lists are rebuilt when new counts arrive, so typing never loses focus.
 */

import { FACET_LABELS, FLAG_FACETS, LIST_FACETS, choiceText, facetChoices, flagCount, folderLabel,
  formatCount } from "../lib/library_filters.js";
import { h } from "../editor/dom.js";

/**
 * @typedef {import("../lib/library_filters.js").LibraryState} LibraryState
 * @typedef {(patch: Partial<LibraryState>) => void} OnPatch
 */

export class FilterPanel {
  /** @param {OnPatch} onPatch */
  constructor(onPatch) {
    this.onPatch = onPatch;
    /** @type {Record<string, HTMLElement>} */
    this.lists = {};
    /** @type {Record<string, HTMLSelectElement>} */
    this.flags = {};
    const sections = [];
    for (const name of LIST_FACETS) {
      this.lists[name] = h("div", { className: "lwb-facet-values", dataset: { facet: name } });
      const extra = name === "tag" ? this.tagMode() : null;
      sections.push(h("details", { className: "lwb-facet", open: name === "family" || name === "role" || name === "tag" },
        h("summary", { text: FACET_LABELS[name] }), extra, this.lists[name]));
    }
    this.folder = h("select", { className: "lwb-text", dataset: { role: "filter-folder" } });
    this.folder.addEventListener("change", () => this.onPatch({ folder: this.folder.value }));
    for (const name of FLAG_FACETS) {
      const select = h("select", { className: "lwb-text", dataset: { role: `filter-${name}` } });
      select.addEventListener("change", () => this.onPatch({ [name]: select.value }));
      this.flags[name] = select;
    }
    const rankInput = (/** @type {string} */ role, /** @type {string} */ placeholder) => h("input", { className: "lwb-num",
      type: "number", min: "0", step: "1", placeholder, dataset: { role } });
    this.rankMin = rankInput("filter-rank-min", "min");
    this.rankMax = rankInput("filter-rank-max", "max");
    const onRank = () => this.onPatch({ rankMin: rankValue(this.rankMin.value), rankMax: rankValue(this.rankMax.value) });
    this.rankMin.addEventListener("change", onRank);
    this.rankMax.addEventListener("change", onRank);
    this.element = h("div", { className: "lwb-filters", dataset: { role: "library-filters" } },
      ...sections,
      h("div", { className: "lwb-field" }, h("label", { text: "Folder" }), this.folder),
      ...FLAG_FACETS.map((name) => h("div", { className: "lwb-field" }, h("label", { text: FACET_LABELS[name] }), this.flags[name])),
      h("div", { className: "lwb-field" }, h("label", { text: "Rank" }), this.rankMin, h("span", { text: "–" }), this.rankMax));
  }

  tagMode() {
    this.tagAll = h("input", { type: "checkbox", dataset: { role: "filter-tag-all" } });
    this.tagAll.addEventListener("change", () => this.onPatch({ tagMode: this.tagAll?.checked ? "all" : "any" }));
    return h("label", { className: "lwb-muted" }, this.tagAll, " every chosen tag (else any)");
  }

  /**
   * Show `state` with the counts of `facets` (`/library/facets` answer's `facets`).
   * @param {LibraryState} state @param {Record<string, any>} facets
   */
  update(state, facets) {
    for (const name of LIST_FACETS) {
      const choices = facetChoices(facets[name], state[name]);
      this.lists[name].replaceChildren(...(choices.length ? choices.map((c) => {
        const box = h("input", { type: "checkbox", checked: c.selected, dataset: { facet: name, value: c.value } });
        box.addEventListener("change", () => {
          const list = box.checked ? [...state[name], c.value] : state[name].filter((v) => v !== c.value);
          this.onPatch({ [name]: list });
        });
        return h("label", { className: `lwb-facet-row${c.count ? "" : " lwb-off"}`, title: c.value }, box,
          h("span", { className: "lwb-facet-name", text: c.label }),
          h("span", { className: "lwb-muted", text: formatCount(c.count), dataset: { count: String(c.count) } }));
      }) : [h("div", { className: "lwb-muted", text: "none" })]));
    }
    if (this.tagAll) this.tagAll.checked = state.tagMode === "all";
    const folders = facetChoices(facets.folder, state.folder ? [state.folder] : [], folderLabel)
      .sort((a, b) => a.value.localeCompare(b.value));
    this.folder.replaceChildren(h("option", { value: "", text: "All folders" }),
      ...folders.map((c) => h("option", { value: c.value, text: choiceText(c), selected: c.value === state.folder })));
    this.folder.value = state.folder;
    for (const name of FLAG_FACETS) {
      const select = this.flags[name];
      select.replaceChildren(h("option", { value: "", text: "Any" }),
        h("option", { value: "true", text: `Yes (${formatCount(flagCount(facets, name, "true"))})` }),
        h("option", { value: "false", text: `No (${formatCount(flagCount(facets, name, "false"))})` }));
      select.value = state[name];
    }
    if (document.activeElement !== this.rankMin) this.rankMin.value = state.rankMin === null ? "" : String(state.rankMin);
    if (document.activeElement !== this.rankMax) this.rankMax.value = state.rankMax === null ? "" : String(state.rankMax);
  }
}

/** @param {string} text */
function rankValue(text) {
  const n = Number(text);
  return text.trim() && Number.isInteger(n) && n >= 0 ? n : null;
}
