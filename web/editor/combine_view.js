// @ts-check
/**
 * The live combine view (centre of the combiner editor): verdicts, the heat map with its budget strip,
 * the cosine matrix and numbers of the selected block, excluded LoRAs with the reason, the resulting
 * strengths and Inspire vectors with copy buttons, and "send to loader". It shows one combine response
 * at a time (`show`); every name and number is text.
 */

import { heatHeight, heatLayout, hitTest, shareGradient } from "../lib/heat_map.js";
import { heatInput, resultRows, verdictLines } from "../lib/combine_result.js";
import { clear, copyText, fitCanvas, h } from "./dom.js";
import { drawCosineMatrix, drawHeatMap } from "./heat_map_canvas.js";

export const COSINE_SIZE = 180;

/**
 * @typedef {{id: number | string, title: string}} LoaderChoice
 * @typedef {{listLoaders: () => LoaderChoice[], send: (loaderId: string) => string,
 *   colorOf: (name: string) => string}} ViewActions
 */

export class CombineView {
  /** @param {ViewActions} actions */
  constructor(actions) {
    this.actions = actions;
    /** @type {any} */
    this.response = null;
    /** @type {import("../lib/heat_map.js").HeatInput | null} */
    this.input = null;
    /** @type {import("../lib/heat_map.js").HeatLayout | null} */
    this.layout = null;
    /** @type {number | null} */
    this.selectedBlock = null;
    this.frame = 0;
    this.heat = h("canvas", { className: "lwb-heat", dataset: { role: "heat-map" } });
    this.cosine = h("canvas", { className: "lwb-cosine", dataset: { role: "cosine-matrix" },
      style: { width: `${COSINE_SIZE}px`, height: `${COSINE_SIZE}px` } });
    this.tip = h("div", { className: "lwb-muted", dataset: { role: "heat-tip" }, text: "Hover a cell; click a block for its overlaps." });
    this.verdicts = h("div", { dataset: { role: "verdicts" } });
    this.legendMax = h("span", { text: "100%", dataset: { role: "legend-max" } });
    this.blockInfo = h("div", { className: "lwb-block-info", dataset: { role: "block-info" } });
    this.excluded = h("div", { dataset: { role: "excluded" } });
    this.results = h("div", { className: "lwb-results", dataset: { role: "results" } });
    this.loaderSelect = h("select", { className: "lwb-text", dataset: { role: "loader-select" }, title: "Multi Scheduled LoRA Loader to receive the result" });
    this.sendStatus = h("span", { className: "lwb-muted", dataset: { role: "send-status" } });
    this.sendButton = h("button", { className: "lwb-btn lwb-primary", text: "Send to loader", dataset: { action: "send-to-loader" },
      on: { click: () => this.send() } });
    this.heat.addEventListener("mousemove", (e) => this.hover(e));
    this.heat.addEventListener("click", (e) => this.click(e));
    this.resize = new ResizeObserver(() => this.redraw());
    this.resize.observe(this.heat);
    this.element = h("div", { className: "lwb-combine-view" },
      this.verdicts, this.heat,
      h("div", { className: "lwb-field lwb-muted" }, h("span", { text: "share of the block: 0%" }),
        h("span", { className: "lwb-legend", style: { background: shareGradient() } }), this.legendMax,
        h("span", { className: "lwb-spacer" }), this.tip),
      h("div", { className: "lwb-combine-row" },
        h("div", {}, h("div", { className: "lwb-h", text: "Overlap (cosine) in the selected block" }), this.cosine,
          h("div", { className: "lwb-muted", text: "+1 aligned (red) · 0 orthogonal · −1 opposed (blue)" })),
        h("div", { className: "lwb-grow" }, this.blockInfo, this.excluded)),
      h("div", { className: "lwb-section" }, h("div", { className: "lwb-h", text: "Result" }), this.results,
        h("div", { className: "lwb-field" }, this.loaderSelect, this.sendButton,
          h("button", { className: "lwb-btn", text: "↻", title: "Refresh the list of loaders",
            on: { click: () => this.refreshLoaders() } }), this.sendStatus)));
    this.refreshLoaders();
    this.show(null, "Add LoRAs to see how they combine.");
  }

  refreshLoaders() {
    const current = this.loaderSelect.value;
    clear(this.loaderSelect);
    const loaders = this.actions.listLoaders();
    if (!loaders.length) this.loaderSelect.append(h("option", { value: "", text: "(no Multi Scheduled LoRA Loader in the graph)" }));
    for (const l of loaders) {
      this.loaderSelect.append(h("option", { value: String(l.id), text: `#${l.id} ${l.title}`, selected: String(l.id) === current }));
    }
    this.sendButton.disabled = !loaders.length || !this.response;
  }

  /**
   * Show a combine response (or null with a message: nothing to combine, a pending request, an error).
   * @param {any} response @param {string} [message]
   */
  show(response, message = "") {
    this.response = response;
    clear(this.verdicts);
    clear(this.excluded);
    clear(this.results);
    if (!response) {
      this.input = null;
      this.verdicts.append(h("div", { className: message.startsWith("error") ? "lwb-error" : "lwb-muted", text: message }));
      this.refreshLoaders();
      this.redraw();
      return;
    }
    this.input = heatInput(response, this.actions.colorOf);
    this.heat.style.height = `${heatHeight(this.input.loras.length)}px`;
    if (this.selectedBlock === null || this.selectedBlock >= this.input.blocks.length) {
      this.selectedBlock = this.input.blocks.length ? 0 : null;
    }
    for (const line of verdictLines(response)) {
      this.verdicts.append(h("div", { className: line.level === "error" ? "lwb-error" : line.level === "warn" ? "lwb-warn" : "lwb-ok",
        text: line.text, dataset: { verdict: line.code } }));
    }
    const rows = resultRows(response);
    const out = rows.filter((r) => !r.included);
    if (out.length) {
      this.excluded.append(h("div", { className: "lwb-h", text: "Excluded" }));
      for (const r of out) {
        this.excluded.append(h("div", { className: "lwb-excluded", dataset: { role: "excluded-row" } },
          h("span", { className: "lwb-lora-name", text: r.name, title: r.name }), h("span", { className: "lwb-error", text: r.reason })));
      }
    }
    this.renderResults(rows.filter((r) => r.included), response.schedule_string ?? "");
    this.refreshLoaders();
    this.renderBlockInfo();
    this.redraw();
  }

  /** @param {ReturnType<typeof resultRows>} rows @param {string} schedule */
  renderResults(rows, schedule) {
    const copy = (/** @type {string} */ text, /** @type {string} */ what) => h("button", { className: "lwb-btn lwb-copy", text: "Copy",
      title: `Copy ${what}`, dataset: { action: "copy" }, on: { click: async () => {
        this.sendStatus.textContent = (await copyText(text)) ? `copied ${what}` : `could not copy ${what}`;
      } } });
    const table = h("table", { className: "lwb-table" },
      h("tr", {}, ...["LoRA", "model", "clip", "Inspire block vector", ""].map((t) => h("th", { text: t }))));
    for (const r of rows) {
      table.append(h("tr", { dataset: { role: "result-row" } },
        h("td", { className: "lwb-lora-name", text: r.name, title: r.notes.join("\n") || r.name }),
        h("td", { text: r.strengthModel, dataset: { role: "result-model" } }),
        h("td", { text: r.strengthClip, dataset: { role: "result-clip" } }),
        h("td", { className: "lwb-vector", text: r.inspireVector, title: r.slotLabels, dataset: { role: "result-vector" } }),
        h("td", {}, copy(r.inspireVector, `${r.name}'s vector`))));
    }
    this.results.append(table,
      h("div", { className: "lwb-field" }, h("span", { className: "lwb-muted", text: "Schedule string" }), copy(schedule, "the schedule string")),
      h("div", { className: "lwb-vector", text: schedule || "(no LoRA combined)", dataset: { role: "result-schedule" } }));
  }

  renderBlockInfo() {
    clear(this.blockInfo);
    const block = this.input && this.selectedBlock !== null ? this.input.blocks[this.selectedBlock] : null;
    if (!block || !this.input) return;
    const fmt = (/** @type {number} */ v) => (Number.isFinite(v) ? v.toPrecision(4) : "–");
    const over = block.requestedTotal > block.budget * (1 + 1e-9);
    this.blockInfo.append(
      h("div", { className: "lwb-h", text: `Block ${block.label}`, dataset: { role: "selected-block" } }),
      h("div", { text: `budget ${fmt(block.budget)} · requested ${fmt(block.requestedTotal)} · achieved ${fmt(block.achievedTotal)}` }),
      h("div", { className: over ? "lwb-warn" : "lwb-ok", text: over ? "over budget: scaled down" : "within budget" }));
    this.input.loras.forEach((lora, i) => {
      const req = block.requested[i] ?? 0;
      const got = block.achieved[i] ?? 0;
      this.blockInfo.append(h("div", { className: "lwb-muted" },
        h("span", { style: { color: lora.color }, text: "■ " }), `${lora.name}: ${fmt(req)} → ${fmt(got)}`
          + (req > 0 ? ` (×${(got / req).toFixed(3)})` : "")));
    });
  }

  redraw() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.frame = 0;
    const { ctx, width, height } = fitCanvas(this.heat);
    const input = this.input ?? { loras: [], blocks: [] };
    this.layout = heatLayout(input, width, height);
    this.legendMax.textContent = `${Math.round(this.layout.scaleMax * 100)}%`;
    drawHeatMap(ctx, this.layout, this.selectedBlock);
    const block = this.input && this.selectedBlock !== null ? this.input.blocks[this.selectedBlock] : null;
    const cos = fitCanvas(this.cosine);
    if (block) drawCosineMatrix(cos.ctx, block, input.loras, Math.min(cos.width, cos.height));
    else cos.ctx.clearRect(0, 0, cos.width, cos.height);
    this.heat.dataset.drawn = String(Number(this.heat.dataset.drawn ?? 0) + 1);
  }

  /** @param {MouseEvent} e */
  hover(e) {
    if (!this.layout || !this.input) return;
    const rect = this.heat.getBoundingClientRect();
    const hit = hitTest(this.layout, e.clientX - rect.left, e.clientY - rect.top);
    if (!hit) { this.tip.textContent = ""; return; }
    const block = this.input.blocks[hit.block];
    if (hit.lora === null || !this.input.loras[hit.lora]) {
      this.tip.textContent = `${block.label}: budget ${block.budget.toPrecision(4)}, requested ${block.requestedTotal.toPrecision(4)}, achieved ${block.achievedTotal.toPrecision(4)}`;
      return;
    }
    const cell = this.layout.cells.find((c) => c.block === hit.block && c.lora === hit.lora && c.kind === hit.kind);
    this.tip.textContent = `${this.input.loras[hit.lora].name} · ${block.label} · ${hit.kind} share ${((cell?.value ?? 0) * 100).toFixed(1)}%`;
  }

  /** @param {MouseEvent} e */
  click(e) {
    if (!this.layout) return;
    const rect = this.heat.getBoundingClientRect();
    const hit = hitTest(this.layout, e.clientX - rect.left, e.clientY - rect.top);
    if (!hit) return;
    this.selectBlock(hit.block);
  }

  /** @param {number} index */
  selectBlock(index) {
    this.selectedBlock = index;
    this.renderBlockInfo();
    this.redraw();
  }

  send() {
    const id = this.loaderSelect.value;
    if (!id || !this.response) return;
    try {
      this.sendStatus.textContent = this.actions.send(id);
    } catch (err) {
      this.sendStatus.textContent = `not sent: ${/** @type {Error} */ (err).message}`;
    }
  }

  destroy() {
    this.resize.disconnect();
    cancelAnimationFrame(this.frame);
  }
}
