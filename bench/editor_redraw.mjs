// Redraw cost of the editor's curve canvas in headless Chromium: 20 LoRAs x 100 points, the active one with
// handles and a 30-step staircase, against a baseline of the grid alone, measured in the same page.
// usage: node bench/editor_redraw.mjs   (needs Debian chromium and tests/browser/node_modules)
import { withWebPage } from "./web_page.mjs";

await withWebPage("<!doctype html><canvas id=c></canvas>", async (page) => {
  const result = await page.evaluate(async () => {
    const draw = await import("/editor/curve_draw.js");
    const { staircase } = await import("/lib/curves.js");
    const { PALETTE } = await import("/lib/config_model.js");
    const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById("c"));
    canvas.width = 1000; canvas.height = 680;
    const ctx = canvas.getContext("2d");
    const items = Array.from({ length: 20 }, (_, k) => ({
      lora_name: `lora_${k}.safetensors`, enabled: k % 5 !== 4, strength_model: 1, strength_clip: 1, arch: "SDXL",
      preset: null, vectors: {}, color: PALETTE[k],
      points: Array.from({ length: 100 }, (_, i) => ({ x: i / 99, y: 0.5 + 0.5 * Math.sin(i / 7 + k) })),
    }));
    const view = draw.fitView(items, 1000, 680);
    const frames = 200;
    const time = (fn) => {
      for (let i = 0; i < 10; i++) fn(); // warm up
      ctx.getImageData(0, 0, 1, 1); // flush
      const t0 = performance.now();
      for (let i = 0; i < frames; i++) fn();
      ctx.getImageData(0, 0, 1, 1);
      return (performance.now() - t0) / frames;
    };
    const grid = time(() => draw.drawGrid(ctx, view, true));
    const full = time(() => {
      draw.drawGrid(ctx, view, true);
      draw.drawStaircase(ctx, view, staircase(items[3].points, 30), items[3].color);
      draw.drawAllCurves(ctx, view, items, 3);
      draw.drawHandles(ctx, view, items[3], new Set([1, 2]));
    });
    const stairs = time(() => staircase(items[3].points, 30));
    const curves = time(() => draw.drawAllCurves(ctx, view, items, 3));
    return { grid, full, stairs, curves };
  });
  console.log(`editor redraw, 20 LoRAs x 100 points + handles + 30-step staircase: ${result.full.toFixed(3)} ms/frame`);
  console.log(`baseline (grid only): ${result.grid.toFixed(3)} ms/frame; ratio full/grid: ${(result.full / result.grid).toFixed(1)}x`);
  console.log(`parts: staircase compile ${result.stairs.toFixed(3)} ms, curves ${result.curves.toFixed(3)} ms`);
  console.log(`frame budget 16.7 ms: ${result.full < 16.7 ? "within" : "OVER"} (${(16.7 / result.full).toFixed(1)}x headroom)`);
});
