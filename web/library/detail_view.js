// @ts-check
/**
 * One LoRA in detail, inside the library tab: header facts, trigger words with a copy button, the
 * sidecar's description as plain text, its preview (image or video), the block-energy bar chart, the
 * other files with the same content, the compositions that used it (when the pack keeps a composition
 * history), favourite / tags / note, and "add to" a loader or combiner node the user picks. Every
 * string from files, sidecars or users is inserted as text.
 */

import { compositionLine, compositionsUsing } from "../lib/composition_match.js";
import { formatBytes, formatTime, htmlToText } from "../lib/plain_text.js";
import { energySplit, splitText } from "../lib/sparkline.js";
import { copyText, h } from "../editor/dom.js";
import { userDataEditor, userDataOf } from "./user_data_editor.js";

export const VIDEO_SUFFIXES = [".mp4", ".webm"];
/** how many recent compositions are searched for this LoRA (the history keeps at most 500) */
export const COMPOSITIONS_SCANNED = 500;

/**
 * @typedef {{api: import("../lib/api.js").EditorApi, item: any,
 *   targets: () => import("./graph_targets.js").Target[], addTo: (target: string, name: string) => string,
 *   onBack: () => void, onUserSaved: (data: import("./user_data_editor.js").UserData) => void}} DetailOptions
 */

/** Whether a preview file name is a video. @param {string | null | undefined} preview */
export const isVideo = (preview) => Boolean(preview && VIDEO_SUFFIXES.some((s) => preview.toLowerCase().endsWith(s)));

/** @param {string} label @param {unknown} value */
const fact = (label, value) => h("div", { className: "lwb-fact" }, h("span", { className: "lwb-muted", text: label }),
  h("span", { text: value === null || value === undefined || value === "" ? "—" : String(value), dataset: { fact: label } }));

/** @param {DetailOptions} o */
export function detailView({ api, item, targets, addTo, onBack, onUserSaved }) {
  const body = h("div", { className: "lwb-detail-body" });
  const status = h("span", { className: "lwb-muted", dataset: { role: "detail-status" } });
  const root = h("div", { className: "lwb-detail", dataset: { role: "library-detail", name: item.name } },
    h("div", { className: "lwb-lib-bar" },
      h("button", { className: "lwb-btn", text: "‹ Back", dataset: { action: "detail-back" }, on: { click: onBack } }),
      h("span", { className: "lwb-detail-title", text: item.name, title: item.name, dataset: { role: "detail-name" } })),
    body, status);
  const sections = {
    facts: h("div", { className: "lwb-section", dataset: { role: "detail-facts" } }),
    triggers: h("div", { className: "lwb-section", dataset: { role: "detail-triggers" } }),
    user: h("div", { className: "lwb-section" }, userDataEditor({ api, data: userDataOf(item), onSaved: onUserSaved })),
    add: h("div", { className: "lwb-section", dataset: { role: "detail-add" } }),
    preview: h("div", { className: "lwb-section lwb-detail-preview", dataset: { role: "detail-preview" } }),
    description: h("div", { className: "lwb-section", dataset: { role: "detail-description" } }),
    energy: h("div", { className: "lwb-section", dataset: { role: "detail-energy" } }, h("div", { className: "lwb-muted", text: "Block energy: loading…" })),
    copies: h("div", { className: "lwb-section", dataset: { role: "detail-duplicates" } }),
    compositions: h("div", { className: "lwb-section", dataset: { role: "detail-compositions" } }),
  };
  body.append(...Object.values(sections));
  renderFacts(item);
  renderTriggers(item.trigger_words ?? []);
  renderAdd();
  renderPreview();

  function renderFacts(/** @type {any} */ e) {
    sections.facts.replaceChildren(h("div", { className: "lwb-h", text: "Facts" }),
      fact("architecture", e.arch), fact("family", e.family), fact("lineage", e.lineage), fact("category", e.category),
      fact("layout", e.layout), fact("role", e.role), fact("format", e.adapter), fact("rank", e.rank), fact("alpha", e.alpha),
      fact("text encoder", e.has_clip ? `yes${e.clip_encoders?.length ? ` (${e.clip_encoders.join(", ")})` : ""}` : "no"),
      fact("size", formatBytes(e.size)), fact("modified", formatTime(e.mtime_ns ? e.mtime_ns / 1e9 : null)),
      fact("folder", e.folder || "(top level)"), fact("model name", e.model_name), fact("base model", e.base_model),
      fact("times used", e.use_count ?? 0), fact("last used", formatTime(e.last_used)), fact("content id", e.id),
      e.error ? h("div", { className: "lwb-error", text: `cannot read: ${e.error}` }) : "");
  }

  function renderTriggers(/** @type {string[]} */ words) {
    const text = words.join(", ");
    const copy = h("button", { className: "lwb-btn", text: "Copy", disabled: !words.length, dataset: { action: "copy-triggers" } });
    copy.addEventListener("click", async () => {
      status.textContent = (await copyText(text)) ? "trigger words copied" : "the browser refused the clipboard";
    });
    sections.triggers.replaceChildren(h("div", { className: "lwb-h", text: "Trigger words" }),
      h("div", { className: "lwb-field" }, h("span", { className: "lwb-vector", text: text || "(none)", dataset: { role: "trigger-words" } }), copy));
  }

  function renderAdd() {
    const select = h("select", { className: "lwb-text", dataset: { role: "add-target" } },
      ...targets().map((t) => h("option", { value: String(t.node.id), text: `${t.kind}: ${t.label}` })),
      h("option", { value: "new:loader", text: "new Multi Scheduled LoRA Loader" }),
      h("option", { value: "new:combiner", text: "new LoRA Block-Weight Combiner" }));
    const add = h("button", { className: "lwb-btn lwb-primary", text: "Add", dataset: { action: "add-to-node" } });
    add.addEventListener("click", () => {
      try {
        status.textContent = addTo(select.value, item.name);
        renderAdd();
      } catch (err) {
        status.textContent = /** @type {Error} */ (err).message;
      }
    });
    sections.add.replaceChildren(h("div", { className: "lwb-h", text: "Add to" }), h("div", { className: "lwb-field" }, select, add));
  }

  function renderPreview() {
    if (!item.preview) {
      sections.preview.replaceChildren(h("div", { className: "lwb-muted", text: "No preview." }));
      return;
    }
    const url = api.previewUrl(item.name);
    const media = isVideo(item.preview)
      ? h("video", { src: url, muted: true, loop: true, controls: true, autoplay: true, dataset: { role: "detail-media" } })
      : h("img", { src: url, alt: "", decoding: "async", dataset: { role: "detail-media" } });
    sections.preview.replaceChildren(media);
  }

  async function load() {
    try {
      const entry = await api.libraryEntry(item.id);
      renderFacts({ ...item, ...entry });
      renderTriggers(entry.trigger_words ?? []);
      const others = (entry.names ?? []).filter((/** @type {string} */ n) => n !== item.name);
      sections.copies.replaceChildren(h("div", { className: "lwb-h", text: "Same file elsewhere" }),
        others.length ? h("ul", {}, ...others.map((/** @type {string} */ n) => h("li", { text: n, dataset: { role: "duplicate-name" } })))
          : h("div", { className: "lwb-muted", text: "No other copy." }));
    } catch (err) {
      status.textContent = /** @type {Error} */ (err).message;
    }
    api.librarySidecar(item.id).then((side) => {
      const text = htmlToText(side.description || "");
      const version = htmlToText(side.version_description || "");
      sections.description.replaceChildren(h("div", { className: "lwb-h", text: "Description" }),
        h("div", { className: "lwb-desc", text: text || (side.error ? `sidecar unreadable: ${side.error}` : "(no description)"),
          dataset: { role: "description-text" } }),
        version ? h("div", { className: "lwb-desc lwb-muted", text: version }) : null,
        side.notes ? h("div", { className: "lwb-desc lwb-muted", text: `notes: ${side.notes}` }) : null);
    }).catch((err) => { sections.description.replaceChildren(h("div", { className: "lwb-muted", text: `Description: ${err.message}` })); });
    api.libraryEnergy(item.id).then((found) => renderEnergy(found))
      .catch((err) => { sections.energy.replaceChildren(h("div", { className: "lwb-muted", text: `Block energy: ${err.message}` })); });
    api.compositions(COMPOSITIONS_SCANNED).then((found) => renderCompositions(compositionsUsing(found, item.name)))
      .catch((err) => { sections.compositions.replaceChildren(h("div", { className: "lwb-muted", text: `Compositions: ${err.message}` })); });
  }

  /** @param {any} found */
  function renderEnergy(found) {
    const dist = found?.stats?.energy_distribution ?? null;
    if (found?.status !== "done" || !dist) {
      sections.energy.replaceChildren(h("div", { className: "lwb-h", text: "Block energy" }),
        h("div", { className: "lwb-muted", text: found?.error ? `not measured: ${found.error}` : "not measured" }));
      return;
    }
    const entries = Object.entries(dist).map(([block, v]) => [block, Number(v) || 0]);
    const max = Math.max(0, ...entries.map(([, v]) => /** @type {number} */ (v)));
    const labels = found.stats.block_metadata ?? {};
    const chart = h("div", { className: "lwb-energy-chart", dataset: { role: "energy-chart" } },
      ...entries.map(([block, v]) => h("div", { className: "lwb-energy-col", title: `${block}: ${(Number(v) * 100).toFixed(1)}%`,
        dataset: { block: String(block) } },
      h("div", { className: "lwb-energy-fill", style: { height: `${max > 0 ? Math.round((Number(v) / max) * 100) : 0}%` } }))));
    const split = energySplit(item.energy);
    sections.energy.replaceChildren(h("div", { className: "lwb-h", text: "Block energy" }), chart,
      h("div", { className: "lwb-muted", text: `${entries.length} blocks · ${entries.map(([b]) => labels[b]?.label ?? b)[0] ?? ""} … ` +
        `${entries.map(([b]) => labels[b]?.label ?? b).at(-1) ?? ""}${split ? ` · ${splitText(split)}` : ""}` }));
  }

  /** @param {any[]} used */
  function renderCompositions(used) {
    sections.compositions.replaceChildren(h("div", { className: "lwb-h", text: "Used in compositions" }),
      used.length ? h("ul", {}, ...used.slice(0, 50).map((c) => h("li", { text: compositionLine(c), dataset: { role: "composition" } })))
        : h("div", { className: "lwb-muted", text: `Not in the last ${COMPOSITIONS_SCANNED} compositions.` }));
  }

  load();
  return root;
}
