// Progress wording for the background block-energy pass.
import { test } from "node:test";
import assert from "node:assert/strict";

import { energyProgress } from "../../web/lib/progress_text.js";

test("running, paused, finished and unknown energy progress", () => {
  assert.deepEqual(energyProgress({ phase: "running", done: 3, failed: 1, total: 40, current: "a.safetensors" }),
    { text: "Measuring block energy: 4 of 40 (1 failed)", paused: false, active: true });
  assert.deepEqual(energyProgress({ phase: "paused", done: 2, failed: 0, total: 9 }),
    { text: "Block energy paused at 2 of 9", paused: true, active: true });
  assert.equal(energyProgress({ phase: "idle", paused: true, running: false }).paused, true, "status says paused");
  assert.deepEqual(energyProgress({ phase: "done", done: 9, failed: 0, total: 9 }), { text: "", paused: false, active: false });
  assert.deepEqual(energyProgress(null), { text: "", paused: false, active: false });
});
