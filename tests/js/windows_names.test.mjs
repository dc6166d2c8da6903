// Windows portable build: ComfyUI lists LoRAs as `styles\ink.safetensors`. The editor keeps that name exactly
// (config written and read back), schedule strings carry its stem, and request URLs carry the backslash as %5C
// for the routes to match against ComfyUI's listing.
import { test } from "node:test";
import assert from "node:assert/strict";

import { EditorApi } from "../../web/lib/api.js";
import { readConfig, writeConfig } from "../../web/lib/config_model.js";
import { loraStem, parseScheduleString, serializeSchedule } from "../../web/lib/schedule.js";

const WINDOWS_NAME = "styles\\ink.safetensors";

test("a backslash name survives the editor's config round trip", () => {
  const text = JSON.stringify({ active_profile: "Default", profiles: { Default: { loras: [
    { lora_name: WINDOWS_NAME, strength_model: 0.8, strength_clip: 1, points: [{ x: 0, y: 1 }, { x: 1, y: 1 }] },
  ] } } });
  const model = readConfig(writeConfig(readConfig(text)));
  assert.equal(model.profiles.get("Default")?.loras[0].lora_name, WINDOWS_NAME);
});

test("a backslash name is written as its stem and read back", () => {
  const items = readConfig(JSON.stringify([{ lora_name: WINDOWS_NAME, strength_model: 0.8, strength_clip: 1 }]))
    .profiles.get("Default")?.loras ?? [];
  const text = serializeSchedule(items);
  assert.match(text, /^<lora:ink:0\.8:1:/);
  assert.equal(parseScheduleString(text)[0].lora_name, "ink");
  assert.equal(loraStem("C\\styles\\sub\\ink.v2.safetensors"), "ink.v2");
});

test("request URLs carry the backslash escaped, never turned into a slash", () => {
  const api = new EditorApi({ apiURL: (/** @type {string} */ path) => path, fetchApi: () => Promise.reject(new Error("offline")) });
  const url = new URL(api.previewRoute(WINDOWS_NAME), "http://127.0.0.1");
  assert.equal(url.searchParams.get("lora_name"), WINDOWS_NAME);
  assert.match(api.previewRoute(WINDOWS_NAME), /styles%5Cink\.safetensors/);
});
