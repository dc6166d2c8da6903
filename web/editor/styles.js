// @ts-check
/** The editor's stylesheet, added once per document when the editor first opens (not at import). */

const STYLE_ID = "lwb-editor-styles";

const CSS = `
.lwb-node-widget{display:flex;flex-direction:column;gap:4px;width:100%;height:100%;box-sizing:border-box}
.lwb-node-widget canvas{flex:1;min-height:60px;width:100%;border-radius:4px;background:#1b1b1f}
.lwb-node-row{display:flex;gap:6px;align-items:center;font:11px sans-serif;color:#bbb}
.lwb-node-row .lwb-summary{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.lwb-btn{background:#333;color:#eee;border:1px solid #555;border-radius:4px;padding:3px 8px;cursor:pointer;font:12px sans-serif}
.lwb-btn:hover{background:#444}.lwb-btn.lwb-primary{background:#2d5fa0;border-color:#3b73bd}
.lwb-btn.lwb-danger{background:#7a2a2a;border-color:#9a3a3a}.lwb-btn:disabled{opacity:.45;cursor:default}
.lwb-overlay{position:fixed;inset:0;background:rgba(0,0,0,.6);z-index:10000;display:flex;align-items:center;justify-content:center}
.lwb-dialog{width:min(1300px,96vw);height:min(860px,94vh);background:#202024;color:#ddd;border:1px solid #444;border-radius:8px;
 display:flex;flex-direction:column;font:13px sans-serif;outline:none}
.lwb-head{display:flex;gap:8px;align-items:center;padding:8px 10px;border-bottom:1px solid #3a3a40;flex-wrap:wrap}
.lwb-head .lwb-title{font-weight:bold;margin-right:8px}.lwb-spacer{flex:1}
.lwb-body{flex:1;display:flex;min-height:0}
.lwb-side{width:250px;border-right:1px solid #3a3a40;padding:8px;overflow:auto;display:flex;flex-direction:column;gap:6px}
.lwb-main{flex:1;display:flex;flex-direction:column;min-width:0}
.lwb-key-sink{position:absolute;width:1px;height:1px;opacity:0;pointer-events:none;border:0;padding:0}
.lwb-main canvas{flex:1;width:100%;min-height:0;outline:none;cursor:crosshair}
.lwb-toolbar{display:flex;gap:8px;align-items:center;padding:6px 8px;border-top:1px solid #3a3a40;flex-wrap:wrap}
.lwb-readout{flex-direction:column;align-items:stretch;flex-wrap:nowrap;height:84px;overflow:auto}
.lwb-panel{width:340px;border-left:1px solid #3a3a40;padding:8px;overflow:auto}
.lwb-lora-row{display:flex;gap:6px;align-items:center;padding:4px;border-radius:4px;cursor:pointer}
.lwb-lora-row.lwb-active{background:#34343c}.lwb-swatch{width:10px;height:24px;border-radius:2px;flex:none}
.lwb-lora-name{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.lwb-lora-row.lwb-off .lwb-lora-name{opacity:.5;text-decoration:line-through}
.lwb-num{width:70px;background:#2a2a30;color:#eee;border:1px solid #555;border-radius:3px}
.lwb-field{display:flex;gap:6px;align-items:center;margin:4px 0}.lwb-field label{min-width:90px}
.lwb-text{background:#2a2a30;color:#eee;border:1px solid #555;border-radius:3px;padding:2px 4px}
.lwb-section{border-top:1px solid #3a3a40;margin-top:8px;padding-top:6px}
.lwb-h{font-weight:bold;margin:4px 0}.lwb-muted{color:#999;font-size:11px}.lwb-error{color:#f88}
.lwb-presets{display:flex;gap:4px;flex-wrap:wrap;margin:4px 0}.lwb-presets .lwb-on{background:#2d5fa0}
.lwb-block{display:grid;grid-template-columns:70px 1fr 44px 60px;gap:4px;align-items:center;font-size:11px}
.lwb-block input[type=range]{width:100%}.lwb-bar{height:8px;background:#2a2a30;border-radius:2px;overflow:hidden}
.lwb-bar > div{height:100%;background:#c98a2b}.lwb-vector{font-family:monospace;font-size:11px;word-break:break-all;
 background:#18181b;padding:4px;border-radius:3px;margin-top:4px}
.lwb-picker{width:min(760px,92vw);height:min(640px,90vh)}
.lwb-picker-body{display:flex;flex:1;min-height:0}.lwb-picker-list{flex:1;overflow:auto;padding:4px}
.lwb-picker-item{padding:4px 6px;border-radius:3px;cursor:pointer;display:flex;gap:6px}
.lwb-picker-item:hover,.lwb-picker-item.lwb-active{background:#34343c}
.lwb-badge{font-size:10px;padding:1px 4px;border-radius:3px;background:#3a4a5a;color:#cde;flex:none}
.lwb-badge-role{background:#4a3a5a;color:#dcf}.lwb-picker-name{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.lwb-hint{width:14px;flex:none;text-align:center}.lwb-hint-ok{color:#7c7}.lwb-hint-bad{color:#fb6}
.lwb-picker .lwb-head select{max-width:160px}
.lwb-warn{color:#fb6}.lwb-ok{color:#7c7}.lwb-summary.lwb-ok{color:#7c7}.lwb-summary.lwb-warn{color:#fb6}.lwb-summary.lwb-error{color:#f88}
.lwb-combiner-widget{gap:2px}.lwb-combiner-rows{flex:1;overflow:hidden;font:11px sans-serif;color:#ccc}
.lwb-combiner-row{display:flex;gap:6px;align-items:center;padding:1px 2px}.lwb-combiner-row.lwb-off{opacity:.45}
.lwb-kept{min-width:44px;text-align:right}.lwb-swatch-sm{width:8px;height:12px;border-radius:2px;flex:none}
.lwb-scroll{overflow:auto;padding:8px;box-sizing:border-box}
.lwb-combine-view{display:flex;flex-direction:column;gap:6px;min-height:100%}
.lwb-combine-view canvas.lwb-heat{width:100%;height:160px;flex:none;border-radius:4px;cursor:pointer}
.lwb-legend{display:inline-block;width:120px;height:10px;border-radius:2px}
.lwb-combine-row{display:flex;gap:12px;align-items:flex-start}.lwb-grow{flex:1;min-width:0}
.lwb-block-info > div{margin:2px 0}.lwb-excluded{display:flex;gap:8px;align-items:center}
.lwb-table{border-collapse:collapse;width:100%;font-size:12px;table-layout:fixed}
.lwb-table th,.lwb-table td{border-bottom:1px solid #3a3a40;padding:3px 4px;text-align:left;vertical-align:top}
.lwb-table th:nth-child(2),.lwb-table th:nth-child(3){width:56px}.lwb-table th:nth-child(5){width:52px}
.lwb-table th:first-child{width:28%}
.lwb-history-row{padding:4px;border-radius:4px;cursor:pointer;border-bottom:1px solid #2e2e34}
.lwb-history-row:hover,.lwb-history-row.lwb-active{background:#34343c}.lwb-history-detail{margin-top:8px}
.lwb-history-detail > div{word-break:break-all}
.lwb-preview{width:220px;border-left:1px solid #3a3a40;padding:6px}.lwb-preview img,.lwb-preview video{max-width:100%}
`;

/** @param {Document} doc */
export function ensureStyles(doc) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  doc.head.append(style);
}
