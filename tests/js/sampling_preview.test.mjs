// The staircase preview's settings (graph KSampler, checkpoint family), bars, and the route client's memo.
import assert from "node:assert/strict";
import test from "node:test";
import { EditorApi } from "../../web/lib/api.js";
import { evaluationStrengths, evenEvaluations, familyOfArch, graphSampling, staircaseBars } from "../../web/lib/sampling_preview.js";

test("checkpoint architectures map to the staircase families", () => {
  assert.deepEqual(["SDXL_PONY", "SDXL", "FLUX.1", "FLUX_SCHNELL", "SD15", "SD3", "SD21", "WAN", null].map(familyOfArch),
    ["SDXL", "SDXL", "FLUX", "FLUX_SCHNELL", "SD15", "SD3", "SD2_V", null, null]);
});

test("the graph's KSampler gives sampler, scheduler, steps and denoise", () => {
  const widget = (name, value) => ({ name, value });
  const nodes = [{ comfyClass: "PreviewAny", widgets: [] }, { comfyClass: "KSampler", widgets: [widget("steps", 30),
    widget("sampler_name", "dpmpp_sde"), widget("scheduler", "karras"), widget("denoise", 0.6)] }];
  assert.deepEqual(graphSampling(nodes), { sampler: "dpmpp_sde", scheduler: "karras", steps: 30, denoise: 0.6 });
  assert.equal(graphSampling([{ comfyClass: "PreviewAny" }]), null);
  const advanced = [{ type: "KSamplerAdvanced", widgets: [widget("steps", 12), widget("sampler_name", "heun"),
    widget("scheduler", "beta")] }];
  assert.deepEqual(graphSampling(advanced), { sampler: "heun", scheduler: "beta", steps: 12, denoise: 1 });
});

test("with two samplers, the one sampling the loader's MODEL is chosen", () => {
  const widget = (name, value) => ({ name, value });
  const loader = { id: 1, comfyClass: "MultiScheduledLoraLoader", inputs: [] };
  const patch = { id: 2, comfyClass: "ModelSamplingDiscrete", inputs: [{ type: "MODEL", link: 10 }] };
  const base = { id: 3, comfyClass: "KSampler", inputs: [{ type: "MODEL", link: 11 }],
    widgets: [widget("steps", 8), widget("sampler_name", "euler"), widget("scheduler", "normal")] };
  const refine = { id: 4, comfyClass: "KSampler", inputs: [{ type: "MODEL", link: 12 }],
    widgets: [widget("steps", 30), widget("sampler_name", "heun"), widget("scheduler", "karras")] };
  const other = { id: 5, comfyClass: "CheckpointLoaderSimple", inputs: [] };
  const nodes = [base, other, loader, patch, refine];
  const links = new Map([[10, { origin_id: 1 }], [11, { origin_id: 5 }], [12, { origin_id: 2 }]]);
  const graph = { links, getNodeById: (id) => nodes.find((n) => n.id === id) };
  for (const n of nodes) n.graph = graph;
  assert.equal(graphSampling(nodes, loader).sampler, "heun", "through the model patch node");
  assert.equal(graphSampling(nodes).sampler, "euler", "no loader given: the first sampler");
});

test("a window curve is 0 before and after, 1 inside, at the given evaluation percents", () => {
  const window = [{ x: 0.3, y: 1 }, { x: 0.7, y: 1 }];
  const evaluations = [0, 0.1, 0.35, 0.35, 0.6, 0.69, 0.75, 0.95].map((percent, i) => ({ percent, step: i }));
  assert.deepEqual(evaluationStrengths(window, evaluations), [0, 0, 1, 1, 1, 1, 0, 0]);
});

test("bars span each evaluation to the next; repeated percents share one bar", () => {
  const evaluations = [{ percent: 0, step: 0 }, { percent: 0.4, step: 0 }, { percent: 0.4, step: 1 }, { percent: 0.9, step: 1 }];
  assert.deepEqual(staircaseBars(evaluations, [1, 2, 3, 4]),
    [{ x0: 0, x1: 0.4, value: 1 }, { x0: 0.4, x1: 0.9, value: 3 }, { x0: 0.9, x1: 1, value: 4 }]);
  assert.deepEqual(evenEvaluations(4).map((e) => e.percent), [0, 0.25, 0.5, 0.75]);
});

test("staircase answers are memoised; a failed one is asked again", async () => {
  const calls = [];
  let up = false;
  const api = new EditorApi({ apiURL: (r) => `/api${r}`, fetchApi: async (route, init) => {
    calls.push(`${init?.method ?? "GET"} ${route} ${init?.body ?? ""}`);
    const ok = up;
    return { ok, status: ok ? 200 : 503, json: async () => (ok ? { evaluations: [{ percent: 0, step: 0, sigma: 1 }] } : { error: "busy" }) };
  } });
  const request = { family: "SDXL", sampler: "euler", scheduler: "karras", steps: 1 };
  await assert.rejects(api.staircase(request), /staircase: busy/);
  up = true;
  assert.equal((await api.staircase(request)).evaluations.length, 1);
  await api.staircase(request);
  assert.equal(calls.length, 2, "failed once, then answered once and remembered");
  assert.match(calls[0], /^POST \/mad-nodes\/staircase \{"family":"SDXL"/);
});
