// @ts-check
/**
 * The staircase preview's sampling settings and arithmetic. The evaluations (every model call of a
 * family/sampler/scheduler/steps run, with its sigma percent) come from `POST /mad-nodes/staircase`,
 * which runs ComfyUI's own sampler; the strength at each is the compiled curve's keyframes at that
 * percent (`simulateKeyframes`, ComfyUI's keyframe rule). Without an answer yet, evenly spaced steps
 * stand in, and the editor says so.
 */

import { compileCurve, simulateKeyframes } from "./curves.js";

/** Node classes whose widgets give the sampler, scheduler and steps the graph will run. */
export const GRAPH_SAMPLERS = ["KSampler", "KSamplerAdvanced"];
export const DEFAULT_SAMPLING = Object.freeze({ sampler: "euler", scheduler: "normal", steps: 20, denoise: 1 });

/**
 * @typedef {{sampler: string, scheduler: string, steps: number, denoise: number}} Sampling
 * @typedef {{percent: number, step: number, sigma?: number}} Evaluation
 */

/**
 * The staircase family of a checkpoint architecture id (`SDXL_PONY` is SDXL, `FLUX.1` is FLUX); null
 * when the pack cannot run that family's sampling.
 * @param {string | null | undefined} arch
 * @returns {string | null}
 */
export function familyOfArch(arch) {
  const a = String(arch ?? "").toUpperCase();
  if (a.includes("SCHNELL")) return "FLUX_SCHNELL";
  if (a.includes("FLUX")) return "FLUX";
  if (a.includes("SDXL")) return "SDXL";
  if (a.includes("SD3")) return "SD3";
  if (a.includes("SD15") || a.includes("SD1")) return "SD15";
  if (a.includes("SD2")) return "SD2_V";
  return null;
}

/**
 * Ids of the nodes feeding `start` through MODEL inputs, transitively (bounded), `start` excluded.
 * @param {any} start a litegraph node
 * @returns {Set<any>}
 */
export function modelUpstream(start) {
  const graph = start.graph;
  const seen = new Set([start.id]);
  const queue = [start];
  while (queue.length && seen.size < 200) {
    const current = queue.shift();
    for (const input of current.inputs ?? []) {
      if (input.type !== "MODEL" || input.link == null) continue;
      const link = graph?.links?.get ? graph.links.get(input.link) : graph?.links?.[input.link];
      const origin = link && graph.getNodeById(link.origin_id);
      if (origin && !seen.has(origin.id)) {
        seen.add(origin.id);
        queue.push(origin);
      }
    }
  }
  seen.delete(start.id);
  return seen;
}

/**
 * Sampler, scheduler, steps and denoise of the KSampler (or KSamplerAdvanced) that samples `node`'s MODEL,
 * else of the graph's first one; null when the graph has none.
 * @param {any[]} nodes litegraph nodes @param {any} [node] the loader whose sampler is wanted
 * @returns {Sampling | null}
 */
export function graphSampling(nodes, node = null) {
  const samplers = nodes.filter((n) => GRAPH_SAMPLERS.includes(n.comfyClass ?? n.type));
  const chosen = (node && samplers.find((n) => modelUpstream(n).has(node.id))) ?? samplers[0];
  if (!chosen) return null;
  const value = (/** @type {string} */ name) => chosen.widgets?.find((/** @type {any} */ w) => w.name === name)?.value;
  const steps = Number(value("steps"));
  const denoise = Number(value("denoise") ?? 1);
  return {
    sampler: String(value("sampler_name") ?? DEFAULT_SAMPLING.sampler),
    scheduler: String(value("scheduler") ?? DEFAULT_SAMPLING.scheduler),
    steps: Number.isInteger(steps) && steps >= 1 ? steps : DEFAULT_SAMPLING.steps,
    denoise: denoise > 0 && denoise <= 1 ? denoise : 1,
  };
}

/**
 * Evenly spaced steps (the stand-in before the route answered).
 * @param {number} steps
 * @returns {Evaluation[]}
 */
export function evenEvaluations(steps) {
  return Array.from({ length: steps }, (_, i) => ({ percent: i / steps, step: i }));
}

/**
 * The strength a curve gets at each evaluation, in call order.
 * @param {{x: number, y: number}[]} points @param {Evaluation[]} evaluations
 * @returns {number[]}
 */
export function evaluationStrengths(points, evaluations) {
  return simulateKeyframes(compileCurve(points), evaluations.map((e) => e.percent));
}

/**
 * Bars to draw: each evaluation holds its strength from its percent to the next evaluation's (the last
 * to 1). Evaluations at the same percent (heun's second call and the next step's first) share a bar.
 * @param {Evaluation[]} evaluations @param {number[]} values
 * @returns {{x0: number, x1: number, value: number}[]}
 */
export function staircaseBars(evaluations, values) {
  /** @type {{x0: number, x1: number, value: number}[]} */
  const bars = [];
  evaluations.forEach((e, i) => {
    const next = evaluations[i + 1]?.percent ?? 1;
    if (next > e.percent) bars.push({ x0: e.percent, x1: next, value: values[i] });
  });
  return bars;
}

/** A stable key of one preview request. @param {string} family @param {Sampling} s */
export function samplingKey(family, s) {
  return `${family}|${s.sampler}|${s.scheduler}|${s.steps}|${s.denoise}`;
}
