// Schedule strings and schedule_config in the browser twin: the same shared vectors as the Python tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  BUILTIN_PRESETS, ScheduleError, formatNumber, loraStem, parseScheduleConfig, parseScheduleString, promptWithoutTags,
  serializeSchedule,
} from "../../web/lib/schedule.js";

const VECTORS = JSON.parse(readFileSync(new URL("../vectors/schedule_strings.json", import.meta.url), "utf8"));

test("built-in presets are the Python table's (any other preset name is a profile template)", () => {
  assert.deepEqual(BUILTIN_PRESETS, VECTORS.builtin_presets);
});

/** JSON numbers: 1 and 1.0 are the same number, so plain deep equality is the Python comparison. */
for (const c of VECTORS.parse) {
  test(`parse: ${c.name}`, () => assert.deepEqual(parseScheduleString(c.input), c.items));
}

for (const c of VECTORS.prompt) {
  test(`prompt: ${c.name}`, () => assert.equal(promptWithoutTags(c.input), c.prompt));
}

for (const c of VECTORS.parse_errors) {
  test(`parse error: ${c.name}`, () => {
    assert.throws(() => parseScheduleString(c.input), (err) => {
      assert.ok(err instanceof ScheduleError, String(err));
      assert.equal(err.line, c.line);
      assert.ok(err.message.includes(c.contains), `${err.message} lacks ${c.contains}`);
      if (c.line !== null) assert.ok(err.message.startsWith(`line ${c.line}: `));
      return true;
    });
  });
}

for (const c of VECTORS.config) {
  test(`config: ${c.name}`, () => assert.deepEqual(parseScheduleConfig(c.input), c.items));
}

for (const c of VECTORS.config_errors) {
  test(`config error: ${c.name}`, () => {
    assert.throws(() => parseScheduleConfig(c.input), (err) => {
      assert.ok(err instanceof ScheduleError, String(err));
      assert.ok(err.message.includes(c.contains), `${err.message} lacks ${c.contains}`);
      return true;
    });
  });
}

for (const c of VECTORS.serialize) {
  test(`serialize: ${c.name}`, () => assert.equal(serializeSchedule(c.items), c.output));
}

for (const text of VECTORS.roundtrip) {
  test(`round trip: ${text}`, () => {
    const items = parseScheduleString(text);
    assert.equal(serializeSchedule(items), text);
    assert.deepEqual(parseScheduleString(serializeSchedule(items)), items);
  });
}

test("formatNumber vectors", () => {
  for (const [value, text] of VECTORS.format_number) assert.equal(formatNumber(value), text, String(value));
});

test("formatNumber rounds exact ties to even like Python's .4f", () => {
  // k/20000 covers every tie between 4-decimal neighbours that a double can hold exactly.
  for (let k = -40000; k <= 40000; k++) {
    const v = k / 20000;
    const exactTie = Math.abs(k) % 2 === 1 && Math.abs(k) % 625 === 0;
    const text = formatNumber(v);
    const back = Number(text);
    assert.ok(Math.abs(back - v) <= 0.00005 + 1e-12, `${v} -> ${text}`);
    if (exactTie) assert.equal(Math.round(Math.abs(back) * 10000) % 2, 0, `${v} -> ${text}: not the even one`);
  }
});

test("loraStem vectors", () => {
  for (const [name, stem] of VECTORS.stems) assert.equal(loraStem(name), stem);
});
