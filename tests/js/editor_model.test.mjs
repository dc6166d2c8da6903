// The editor's config model (both seed formats in, profiles object out) and its undo history.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  PALETTE, activeProfile, createProfile, deleteProfile, duplicateProfile, freeName, newItem, readConfig, renameProfile,
  switchProfile, writeConfig,
} from "../../web/lib/config_model.js";
import { ScheduleError, parseScheduleConfig, serializeSchedule } from "../../web/lib/schedule.js";
import { UndoStack } from "../../web/lib/undo.js";

const VECTORS = JSON.parse(readFileSync(new URL("../vectors/schedule_strings.json", import.meta.url), "utf8"));

for (const c of VECTORS.config) {
  test(`what the editor writes runs as the original: ${c.name}`, () => {
    const written = writeConfig(readConfig(c.input));
    assert.deepEqual(parseScheduleConfig(written), c.items);
    assert.equal(JSON.parse(written).profiles[JSON.parse(written).active_profile] !== undefined, true);
  });
}

for (const c of VECTORS.config_errors) {
  test(`a malformed config is refused, not overwritten: ${c.name}`, () => {
    assert.throws(() => parseScheduleConfig(c.input), ScheduleError);
    if (c.name === "active profile missing") {
      // The backend refuses to run it; the editor opens the first profile so Save repairs the node.
      const model = readConfig(c.input);
      assert.equal(model.active, [...model.profiles.keys()][0]);
      assert.doesNotThrow(() => parseScheduleConfig(writeConfig(model)));
    } else {
      assert.throws(() => readConfig(c.input), ScheduleError);
    }
  });
}

test("a legacy list becomes the Default profile and keeps colours", () => {
  const model = readConfig(JSON.stringify([{ lora_name: "a.safetensors", color: "#123456" }, { lora_name: "b" }]));
  assert.equal(model.active, "Default");
  const items = activeProfile(model).loras;
  assert.deepEqual(items.map((i) => i.color), ["#123456", PALETTE[1]]);
  const out = JSON.parse(writeConfig(model));
  assert.equal(out.profiles.Default.loras[0].color, "#123456");
  assert.equal(out.profiles.Default.settings.snap, 0.05);
});

test("every profile survives a round trip, including hostile names", () => {
  const text = '{"active_profile": "<img src=x onerror=alert(1)>", "profiles": {'
    + '"__proto__": {"loras": [{"lora_name": "p.safetensors"}], "settings": {"snap": 0.1}},'
    + '"<img src=x onerror=alert(1)>": {"loras": [{"lora_name": "q.safetensors", "strength_model": 0.5}]}}}';
  const model = readConfig(text);
  assert.deepEqual([...model.profiles.keys()], ["__proto__", "<img src=x onerror=alert(1)>"]);
  const again = readConfig(writeConfig(model));
  assert.equal(again.active, "<img src=x onerror=alert(1)>");
  assert.equal(again.profiles.get("__proto__").settings.snap, 0.1);
  assert.equal(serializeSchedule(parseScheduleConfig(writeConfig(model))), "<lora:q:0.5:1:0,1;1,1>");
});

test("profile operations: create, duplicate, rename, switch, delete", () => {
  let model = readConfig(JSON.stringify([{ lora_name: "a.safetensors" }]));
  model = duplicateProfile(model, "Copy");
  assert.equal(model.active, "Copy");
  activeProfile(model).loras.push(newItem("b.safetensors", 1));
  assert.equal(model.profiles.get("Default").loras.length, 1, "a duplicate shares nothing with its source");
  model = renameProfile(model, "Night");
  assert.deepEqual([...model.profiles.keys()], ["Default", "Night"]);
  assert.throws(() => renameProfile(model, "Default"), /already exists/);
  assert.throws(() => createProfile(model, "  "), /needs a name/);
  model = createProfile(model, freeName(model, "Default"));
  assert.equal(model.active, "Default 2");
  model = switchProfile(model, "Night");
  assert.equal(activeProfile(model).loras.length, 2);
  model = deleteProfile(model);
  assert.deepEqual([...model.profiles.keys()], ["Default", "Default 2"]);
  model = deleteProfile(deleteProfile(model));
  assert.deepEqual([...model.profiles.keys()], ["Default"], "deleting the last profile leaves an empty Default");
  assert.equal(activeProfile(model).loras.length, 0);
});

test("undo and redo walk the history; a new edit drops the redo branch; the bound holds", () => {
  const undo = new UndoStack("a", 3);
  for (const s of ["b", "c", "d", "e"]) undo.push(s);
  assert.equal(undo.push("e"), false, "an unchanged state is not a step");
  assert.equal(undo.undo(), "d");
  assert.equal(undo.undo(), "c");
  assert.equal(undo.undo(), "b");
  assert.equal(undo.undo(), null, "only 3 steps are kept");
  assert.equal(undo.redo(), "c");
  undo.push("x");
  assert.equal(undo.canRedo, false);
  assert.equal(undo.undo(), "c");
});
