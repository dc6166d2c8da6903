// The editors' keyboard shortcuts (web/editor/key_guard.js): which keys undo and redo, and which stay with a field.
import { test } from "node:test";
import assert from "node:assert/strict";

import { isTyping, undoStep } from "../../web/editor/key_guard.js";

const key = (k, mods = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });

test("Ctrl/Cmd+Z undoes; Ctrl/Cmd+Y and Ctrl/Cmd+Shift+Z redo; anything else is no step", () => {
  assert.equal(undoStep(key("z", { ctrlKey: true })), -1);
  assert.equal(undoStep(key("Z", { metaKey: true })), -1);
  assert.equal(undoStep(key("Z", { ctrlKey: true, shiftKey: true })), 1);
  assert.equal(undoStep(key("y", { ctrlKey: true })), 1);
  assert.equal(undoStep(key("z")), 0);
  assert.equal(undoStep(key("a", { ctrlKey: true })), 0);
});

test("keys typed in a text field stay there; the key sink, buttons and checkboxes are not typing", () => {
  const sink = { tagName: "INPUT", type: "text" };
  const typed = (target) => isTyping(/** @type {any} */ ({ target }), /** @type {any} */ (sink));
  assert.equal(typed({ tagName: "INPUT", type: "number" }), true);
  assert.equal(typed({ tagName: "TEXTAREA" }), true);
  assert.equal(typed({ tagName: "SELECT" }), true);
  assert.equal(typed(sink), false);
  assert.equal(typed({ tagName: "INPUT", type: "checkbox" }), false);
  assert.equal(typed({ tagName: "BUTTON" }), false);
  assert.equal(typed({ tagName: "CANVAS" }), false);
});
