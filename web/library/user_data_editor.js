// @ts-check
/**
 * Favourite, user tags and note of one LoRA (stored by content id in the library database), editable in
 * place: a star, tag chips with a remove button and an add field (Enter), and a note saved on blur or
 * with its button. Each edit sends only the field it changed (PATCH), so two tabs editing different
 * fields never overwrite each other. Everything is shown with textContent.
 */

import { h } from "../editor/dom.js";

export const MAX_TAG = 64;
export const MAX_NOTE = 4000;

/**
 * @typedef {{id: string, favourite?: boolean, user_tags?: string[], tags?: string[], note?: string}} UserFields
 * @typedef {{id: string, favourite: boolean, tags: string[], note: string}} UserData
 */

/** The user data of a search item or entry. @param {UserFields} e @returns {UserData} */
export const userDataOf = (e) => ({ id: e.id, favourite: Boolean(e.favourite), tags: [...(e.user_tags ?? [])],
  note: String(e.note ?? "") });

/**
 * A favourite star button.
 * @param {{favourite: boolean, onToggle: (next: boolean) => void}} o
 */
export function starButton({ favourite, onToggle }) {
  const star = h("button", { className: `lwb-star${favourite ? " lwb-on" : ""}`, text: favourite ? "★" : "☆",
    title: favourite ? "Favourite (click to remove)" : "Mark as favourite", dataset: { action: "favourite" },
    attrs: { "aria-pressed": String(favourite) } });
  star.addEventListener("click", (e) => { e.stopPropagation(); onToggle(!favourite); });
  return star;
}

/**
 * @param {{api: import("../lib/api.js").EditorApi, data: UserData, onSaved?: (data: UserData) => void}} o
 */
export function userDataEditor({ api, data, onSaved }) {
  let current = { ...data, tags: [...data.tags] };
  const status = h("span", { className: "lwb-muted", dataset: { role: "user-status" } });
  const starSlot = h("span");
  const chips = h("span", { className: "lwb-chips", dataset: { role: "user-tags" } });
  const tagInput = h("input", { className: "lwb-text", type: "text", placeholder: "add tag, Enter", maxLength: MAX_TAG,
    dataset: { role: "tag-input" }, style: { width: "120px" } });
  const note = h("textarea", { className: "lwb-text lwb-note", maxLength: MAX_NOTE, rows: 3, placeholder: "Note",
    value: current.note, dataset: { role: "note-input" } });

  /** @param {any} patch @param {string} label */
  async function save(patch, label) {
    status.textContent = "saving…";
    try {
      const user = await api.patchUserData(current.id, patch);
      current = { id: current.id, favourite: Boolean(user.favourite), tags: [...(user.tags ?? [])], note: String(user.note ?? "") };
      status.textContent = `${label} saved`;
      render();
      onSaved?.(current);
    } catch (err) {
      status.textContent = /** @type {Error} */ (err).message;
    }
  }

  function render() {
    starSlot.replaceChildren(starButton({ favourite: current.favourite, onToggle: (next) => save({ favourite: next }, "favourite") }));
    chips.replaceChildren(...current.tags.map((tag) => h("span", { className: "lwb-chip", dataset: { tag } },
      h("span", { text: tag }),
      h("button", { className: "lwb-chip-x", text: "×", title: `remove tag ${tag}`, dataset: { action: "remove-tag" },
        on: { click: () => save({ remove_tags: [tag] }, "tags") } }))));
    if (document.activeElement !== note) note.value = current.note;
  }

  // Enter submits the one-field form: the pack's key guard keeps keydown events from reaching the input
  const tagForm = enterForm(tagInput, () => {
    const tag = tagInput.value.trim();
    if (!tag) return;
    tagInput.value = "";
    save({ add_tags: [tag] }, "tags");
  });
  const saveNote = () => { if (note.value !== current.note) save({ note: note.value }, "note"); };
  note.addEventListener("blur", saveNote);
  render();
  return h("div", { className: "lwb-user", dataset: { role: "user-data" } },
    h("div", { className: "lwb-field" }, starSlot, chips, tagForm),
    note,
    h("div", { className: "lwb-field" },
      h("button", { className: "lwb-btn", text: "Save note", dataset: { action: "save-note" }, on: { click: saveNote } }), status));
}

/**
 * A one-field form around `input` whose Enter (the browser's implicit submission) runs `onEnter`. Inside
 * the pack's dialogs and tab, keydown events stop at the key guard (key_guard.js), so an input cannot
 * listen for Enter itself; the submission is the browser's default action and still happens.
 * @param {HTMLInputElement} input @param {() => void} onEnter
 */
export function enterForm(input, onEnter) {
  const form = h("form", { className: "lwb-inline-form" }, input);
  form.addEventListener("submit", (e) => { e.preventDefault(); onEnter(); });
  return form;
}
