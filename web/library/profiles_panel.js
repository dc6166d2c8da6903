// @ts-check
/**
 * Block-weight profiles in the library tab: the list (name, layout, block count), a form to create or
 * edit one (name, layout, one weight per block typed as numbers, checked as you type: count matches the
 * layout, values finite, name valid), rename through the same form, delete (a second click confirms),
 * CSV export (a download link) and CSV import (a file). The server validates again; its `problems` are
 * shown as they come. Profile names are text everywhere.
 */

import { draftProblems, parseWeights } from "../lib/profile_model.js";
import { formatNumber } from "../lib/schedule.js";
import { h } from "../editor/dom.js";

/**
 * @typedef {import("../lib/profile_model.js").Profile} Profile
 * @param {{api: import("../lib/api.js").EditorApi, onBack: () => void, onChanged?: () => void}} o
 */
export function profilesPanel({ api, onBack, onChanged }) {
  const list = h("div", { className: "lwb-profile-list", dataset: { role: "profile-list" } });
  const form = h("div", { className: "lwb-section", dataset: { role: "profile-form" } });
  const status = h("div", { className: "lwb-muted", dataset: { role: "profiles-status" } });
  const importName = h("input", { className: "lwb-text", type: "text", placeholder: "name (optional)", maxLength: 100,
    dataset: { role: "import-name" }, style: { width: "110px" } });
  const importFile = h("input", { type: "file", accept: ".csv,text/csv", dataset: { role: "import-file" } });
  /** @type {Record<string, {lengths: number[]}>} */
  let layouts = {};
  /** @type {Profile[]} */
  let profiles = [];

  importFile.addEventListener("change", async () => {
    const file = importFile.files?.[0];
    if (!file) return;
    try {
      const made = await api.importProfileCsv(await file.text(), importName.value.trim());
      status.textContent = `imported ${made.name}`;
      importFile.value = "";
      await reload();
      onChanged?.();
    } catch (err) {
      status.textContent = problemText(err);
    }
  });

  async function reload() {
    try {
      [profiles, layouts] = await Promise.all([api.profiles(), api.profileLayouts()]);
    } catch (err) {
      status.textContent = problemText(err);
      return;
    }
    list.replaceChildren(...(profiles.length ? profiles.map(row)
      : [h("div", { className: "lwb-muted", text: "No profiles yet. Create one here, or save a LoRA's block weights from the editor." })]));
  }

  /** @param {Profile} p */
  function row(p) {
    const del = h("button", { className: "lwb-btn lwb-danger", text: "Delete", dataset: { action: "saved-profile-delete" } });
    del.addEventListener("click", async () => {
      if (!del.dataset.armed) { del.dataset.armed = "1"; del.textContent = "Delete: sure?"; return; }
      try {
        await api.deleteProfile(p.id);
        status.textContent = `deleted ${p.name}`;
        await reload();
        onChanged?.();
      } catch (err) {
        status.textContent = problemText(err);
      }
    });
    del.addEventListener("blur", () => { delete del.dataset.armed; del.textContent = "Delete"; });
    return h("div", { className: "lwb-profile-row", dataset: { profile: p.name, pid: String(p.id) } },
      h("span", { className: "lwb-lora-name", text: p.name, title: p.notes || p.name }),
      h("span", { className: "lwb-badge", text: `${p.layout} · ${p.weights.length}` }),
      h("button", { className: "lwb-btn", text: "Edit", dataset: { action: "saved-profile-edit" }, on: { click: () => edit(p) } }),
      h("a", { className: "lwb-btn", text: "CSV", href: api.profileCsvUrl(p.id), download: `profile_${p.id}.csv`,
        dataset: { action: "saved-profile-csv" } }),
      del);
  }

  /** Show the form for a new profile (null) or for editing `p`. @param {Profile | null} p */
  function edit(p) {
    const layoutNames = Object.keys(layouts);
    const name = h("input", { className: "lwb-text", type: "text", maxLength: 100, value: p?.name ?? "", placeholder: "profile name",
      dataset: { role: "profile-form-name" } });
    const layout = h("select", { className: "lwb-text", dataset: { role: "profile-form-layout" } },
      ...layoutNames.map((l) => h("option", { value: l, text: `${l} (${layouts[l].lengths.join(" or ")} blocks)`, selected: l === p?.layout })));
    const firstLength = () => layouts[layout.value]?.lengths[0] ?? 0;
    const weights = h("textarea", { className: "lwb-text lwb-weights", rows: 4, dataset: { role: "profile-form-weights" },
      value: p ? p.weights.map(formatNumber).join(", ") : Array(firstLength()).fill("1").join(", ") });
    const notes = h("input", { className: "lwb-text", type: "text", maxLength: 4000, value: p?.notes ?? "", placeholder: "notes" });
    const problems = h("ul", { className: "lwb-error", dataset: { role: "profile-problems" } });
    const save = h("button", { className: "lwb-btn lwb-primary", text: p ? "Save" : "Create", dataset: { action: "saved-profile-save" } });
    const draft = () => {
      const parsed = parseWeights(weights.value);
      return { data: { name: name.value, layout: layout.value, weights: parsed.weights, notes: notes.value }, parsed };
    };
    const check = () => {
      const { data, parsed } = draft();
      const found = parsed.problems.length ? parsed.problems : draftProblems(data, layouts);
      problems.replaceChildren(...found.map((text) => h("li", { text })));
      save.disabled = found.length > 0;
      return found.length === 0;
    };
    layout.addEventListener("change", () => {
      if (!p && parseWeights(weights.value).weights.every((v) => v === 1)) weights.value = Array(firstLength()).fill("1").join(", ");
      check();
    });
    for (const input of [name, weights]) input.addEventListener("input", check);
    save.addEventListener("click", async () => {
      if (!check()) return;
      const { data } = draft();
      try {
        const saved = p ? await api.updateProfile(p.id, data) : await api.createProfile(data);
        status.textContent = `${p ? "saved" : "created"} ${saved.name}`;
        form.replaceChildren();
        await reload();
        onChanged?.();
      } catch (err) {
        problems.replaceChildren(...(/** @type {any} */ (err).body?.problems ?? [problemText(err)]).map((/** @type {string} */ text) => h("li", { text })));
      }
    });
    form.replaceChildren(h("div", { className: "lwb-h", text: p ? `Edit ${p.name}` : "New profile" }),
      h("div", { className: "lwb-field" }, h("label", { text: "Name" }), name),
      h("div", { className: "lwb-field" }, h("label", { text: "Layout" }), layout),
      h("div", { className: "lwb-muted", text: "Weights, one per block in the layout's order (input → middle → output):" }),
      weights, notes, problems,
      h("div", { className: "lwb-field" }, save,
        h("button", { className: "lwb-btn", text: "Cancel", on: { click: () => form.replaceChildren() } })));
    check();
  }

  const loaded = reload(); // the form needs the layouts: "+ New" waits for the first answer
  return h("div", { className: "lwb-profiles-view", dataset: { role: "profiles-view" } },
    h("div", { className: "lwb-lib-bar" },
      h("button", { className: "lwb-btn", text: "‹ Back", dataset: { action: "profiles-back" }, on: { click: onBack } }),
      h("span", { className: "lwb-h", text: "Block-weight profiles" }), h("span", { className: "lwb-spacer" }),
      h("button", { className: "lwb-btn lwb-primary", text: "+ New", dataset: { action: "saved-profile-new" }, on: { click: () => { loaded.then(() => edit(null)); } } })),
    list, form,
    h("div", { className: "lwb-section" }, h("div", { className: "lwb-h", text: "Import CSV" }),
      h("div", { className: "lwb-field" }, importName, importFile)),
    status);
}

/** The route's error with its problems. @param {unknown} err */
function problemText(err) {
  const e = /** @type {any} */ (err);
  return e?.body?.problems?.length ? e.body.problems.join("; ") : String(e?.message ?? e);
}
