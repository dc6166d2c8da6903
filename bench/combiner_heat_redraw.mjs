// Redraw cost of the combiner editor's heat map in headless Chromium: 8 LoRAs x every SDXL block of the
// pack's layout (layout + paint + cosine matrix of the selected block), against a baseline measured in the
// same page: the naive paint, clearing the canvas and one fillRect per cell in a single colour (no layout, no
// colour scale, no labels). The editor paints the cells as one image (a pixel per cell, scaled up).
// usage: node bench/combiner_heat_redraw.mjs   (needs Debian chromium and tests/browser/node_modules)
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT, withWebPage } from "./web_page.mjs";

const LORAS = 8;

/** Every SDXL block id and label of the pack's layout (what /mad-nodes/config serves). */
function sdxlBlocks() {
  const python = process.env.PYTHON || path.join(process.env.LWB_HOST_DIR || path.join(ROOT, ".comfyhost"), "venv/bin/python");
  const code = "import json,sys; sys.path.insert(0, 'tests'); import lwb_testkit.pack;"
    + "from lora_weights_builder.modules.ui_config import get_ui_config;"
    + "print(json.dumps(get_ui_config()['ARCH_BLOCK_MAPPINGS']['SDXL']['blocks']))";
  return JSON.parse(execFileSync(python, ["-c", code], { cwd: ROOT, encoding: "utf8" }));
}

const blocks = sdxlBlocks();
await withWebPage("<!doctype html><canvas id=c></canvas><canvas id=m></canvas>", async (page) => {
  const result = await page.evaluate(async ({ blocks, loras }) => {
    const { heatLayout } = await import("/lib/heat_map.js");
    const { drawHeatMap, drawCosineMatrix } = await import("/editor/heat_map_canvas.js");
    const { cosineMatrix } = await import("/lib/combine_result.js");
    const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById("c"));
    const matrix = /** @type {HTMLCanvasElement} */ (document.getElementById("m"));
    canvas.width = 900; canvas.height = 420; matrix.width = 180; matrix.height = 180;
    const ctx = canvas.getContext("2d");
    const mctx = matrix.getContext("2d");
    const people = Array.from({ length: loras }, (_, k) => ({ name: `lora_${k}.safetensors`, color: `hsl(${k * 45},70%,60%)` }));
    const input = {
      loras: people,
      blocks: blocks.map((b, i) => {
        const requested = people.map((_, k) => 1 + Math.sin(i + k));
        const achieved = requested.map((v, k) => v * (0.5 + 0.5 * Math.cos(i * k)));
        const pairs = {};
        for (let a = 0; a < loras; a++) for (let c = a + 1; c < loras; c++) pairs[`${a}-${c}`] = Math.sin(a * c + i);
        return { id: b.id, label: b.label ?? b.id, group: b.group ?? "", budget: 4, requested, achieved,
          requestedTotal: requested.reduce((s, v) => s + v, 0) * 0.7, achievedTotal: achieved.reduce((s, v) => s + v, 0) * 0.7,
          cosines: cosineMatrix(pairs, requested) };
      }),
    };
    const frames = 200;
    const time = (fn) => {
      for (let i = 0; i < 10; i++) fn();
      ctx.getImageData(0, 0, 1, 1);
      const t0 = performance.now();
      for (let i = 0; i < frames; i++) fn();
      ctx.getImageData(0, 0, 1, 1);
      mctx.getImageData(0, 0, 1, 1);
      return (performance.now() - t0) / frames;
    };
    const cellCount = loras * 2 * blocks.length;
    const colW = 750 / blocks.length;
    const baseline = time(() => {
      ctx.fillStyle = "#1b1b1f";
      ctx.fillRect(0, 0, 900, 420);
      ctx.fillStyle = "#446688";
      for (let c = 0; c < cellCount; c++) ctx.fillRect(150 + (c % blocks.length) * colW, 70 + Math.floor(c / blocks.length) * 18, colW, 18);
    });
    let selected = 0;
    const full = time(() => {
      const layout = heatLayout(input, 900, 420);
      drawHeatMap(ctx, layout, selected);
      drawCosineMatrix(mctx, input.blocks[selected], input.loras, 180);
      selected = (selected + 1) % blocks.length;
    });
    const layoutOnly = time(() => heatLayout(input, 900, 420));
    return { baseline, full, layoutOnly, cells: cellCount };
  }, { blocks, loras: LORAS });
  console.log(`combiner heat map redraw, ${LORAS} LoRAs x ${blocks.length} SDXL blocks (${result.cells} cells) + budget strip`
    + ` + ${LORAS}x${LORAS} cosine matrix: ${result.full.toFixed(3)} ms/frame`);
  console.log(`baseline (naive: clear + one fillRect per cell, one colour): ${result.baseline.toFixed(3)} ms/frame;`
    + ` ratio full/baseline: ${(result.full / result.baseline).toFixed(1)}x`);
  console.log(`parts: layout + colour scale ${result.layoutOnly.toFixed(3)} ms`);
  console.log(`target 16 ms: ${result.full < 16 ? "within" : "OVER"} (${(16 / result.full).toFixed(1)}x headroom)`);
});
