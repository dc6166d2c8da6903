// @ts-check
/**
 * What the page's long tasks were made of, from a Chromium trace (devtools.timeline categories): the renderer
 * main thread's tasks over 50 ms, and inside them the time of each pipeline stage and script entry point
 * (inclusive times of the events nested in the task, summed by name). Used by bench/library_tab.mjs to show
 * which stage a change removed.
 */

export const LONG_TASK_MS = 50;
const TASK_NAMES = new Set(["ThreadControllerImpl::RunTask", "RunTask"]);
const STAGES = new Set(["UpdateLayoutTree", "Layout", "PrePaint", "Paint", "Layerize", "Commit", "UpdateLayer",
  "FunctionCall", "EvaluateScript", "TimerFire", "FireAnimationFrame", "EventDispatch", "HitTest", "ScrollLayer",
  "Decode Image", "ImageDecodeTask", "Decode LazyPixelRef", "ParseHTML", "MajorGC", "MinorGC", "V8.GC_SCAVENGER",
  "BlinkGC.AtomicPhase", "ResourceReceivedData", "IntersectionObserverController::computeIntersections",
  "UpdateLayerTree", "PaintImage", "RasterTask", "CompositeLayers", "RecalculateStyles", "ParseAuthorStyleSheet",
  "InvalidateLayout", "ScheduleStyleRecalculation"]);

/**
 * @param {{traceEvents?: any[]} | any[]} trace the parsed trace file
 * @returns {{tasks: number, longest: number, total: number, stages: [string, number, number][],
 *   all: [string, number][], styleElements: number, layoutDirty: number, layoutTotal: number,
 *   worst: [string, number][], scripts: [string, number][]}}
 *   stages: [name, total ms in long tasks, how many long tasks had it]; worst: the longest task's stages
 */
export function summariseTrace(trace) {
  const events = Array.isArray(trace) ? trace : trace.traceEvents ?? [];
  /** @type {Map<string, string>} pid:tid -> thread name */
  const names = new Map();
  for (const e of events) if (e.ph === "M" && e.name === "thread_name") names.set(`${e.pid}:${e.tid}`, e.args?.name);
  /** complete events per renderer main thread @type {Map<string, any[]>} */
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== "X" || typeof e.dur !== "number") continue;
    const key = `${e.pid}:${e.tid}`;
    if (names.get(key) !== "CrRendererMain") continue;
    if (!byThread.has(key)) byThread.set(key, []);
    /** @type {any[]} */ (byThread.get(key)).push(e);
  }
  // the page's renderer: the main thread with the most events
  const main = [...byThread.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  main.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  /** the whole run, long tasks or not: time per stage @type {Map<string, number>} */
  const everywhere = new Map();
  for (const e of main) if (STAGES.has(e.name)) everywhere.set(e.name, (everywhere.get(e.name) ?? 0) + e.dur / 1000);
  const long = main.filter((e) => TASK_NAMES.has(e.name) && e.dur / 1000 > LONG_TASK_MS);
  /** @type {Map<string, [number, number]>} */
  const stages = new Map();
  /** @type {Map<string, number>} */
  const scripts = new Map();
  /** style recalcs: elements restyled; layouts: objects laid out of the total @type {number[][]} */
  const styleCounts = [];
  const layoutCounts = [];
  /** @type {[string, number][]} */
  let worst = [];
  let longest = 0;
  for (const task of long) {
    const end = task.ts + task.dur;
    /** @type {Map<string, number>} */
    const mine = new Map();
    for (const e of main) {
      if (e.ts < task.ts || e.ts + e.dur > end || e === task || !STAGES.has(e.name)) continue;
      mine.set(e.name, (mine.get(e.name) ?? 0) + e.dur / 1000);
      if (e.name === "UpdateLayoutTree" && e.args?.elementCount !== undefined) styleCounts.push([e.args.elementCount]);
      if (e.name === "Layout" && e.args?.beginData) layoutCounts.push([e.args.beginData.dirtyObjects, e.args.beginData.totalObjects]);
      if (e.name === "FunctionCall" || e.name === "TimerFire" || e.name === "FireAnimationFrame") {
        const d = e.args?.data ?? {};
        const where = `${e.name} ${d.functionName || ""} ${(d.url || "").split("/").slice(-2).join("/")}:${d.lineNumber ?? ""}`;
        scripts.set(where, (scripts.get(where) ?? 0) + e.dur / 1000);
      }
    }
    for (const [name, ms] of mine) {
      const [total, n] = stages.get(name) ?? [0, 0];
      stages.set(name, [total + ms, n + 1]);
    }
    if (task.dur / 1000 > longest) {
      longest = task.dur / 1000;
      worst = [...mine].sort((a, b) => b[1] - a[1]);
    }
  }
  return {
    tasks: long.length, longest, total: long.reduce((s, t) => s + t.dur / 1000, 0),
    stages: [...stages].map(([name, [ms, n]]) => /** @type {[string, number, number]} */ ([name, ms, n])).sort((a, b) => b[1] - a[1]),
    styleElements: median(styleCounts.map((c) => c[0])), layoutDirty: median(layoutCounts.map((c) => c[0])),
    layoutTotal: median(layoutCounts.map((c) => c[1])),
    all: [...everywhere].sort((a, b) => b[1] - a[1]).slice(0, 8),
    worst, scripts: [...scripts].sort((a, b) => b[1] - a[1]).slice(0, 8),
  };
}

/** @param {number[]} values */
const median = (values) => (values.length ? [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] : NaN);

/** Printable lines of a summary. @param {ReturnType<typeof summariseTrace>} s */
export function traceLines(s) {
  const f = (/** @type {number} */ v) => v.toFixed(1);
  return [
    `  trace: ${s.tasks} renderer tasks over ${LONG_TASK_MS} ms (longest ${f(s.longest)} ms, ${f(s.total)} ms in all)`,
    `    median in a long task: ${s.styleElements} elements restyled per UpdateLayoutTree, ` +
      `${s.layoutDirty} dirty of ${s.layoutTotal} layout objects per Layout`,
    ...s.stages.slice(0, 12).map(([name, ms, n]) => `    ${name.padEnd(28)} ${f(ms).padStart(8)} ms in ${n} long tasks`),
    `  whole traced run, ms per stage: ${s.all.map(([name, ms]) => `${name} ${f(ms)}`).join(", ")}`,
    `  longest task: ${s.worst.slice(0, 8).map(([name, ms]) => `${name} ${f(ms)}`).join(", ")}`,
    ...s.scripts.map(([where, ms]) => `    script ${where} ${f(ms)} ms`),
  ];
}
