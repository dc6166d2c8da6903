// @ts-check
/** The library tab's stylesheet, added once per document when the tab is first built. */

const STYLE_ID = "lwb-library-styles";

const CSS = `
.lwb-library{display:flex;flex-direction:column;height:100%;min-height:0;box-sizing:border-box;padding:6px;gap:4px;
 font:12px sans-serif;color:#ddd;background:var(--comfy-menu-bg,#202024)}
.lwb-overlay.lwb-library{position:relative;inset:auto;z-index:auto;align-items:stretch;justify-content:flex-start}
.lwb-lib-bar{display:flex;gap:4px;align-items:center;flex-wrap:wrap}
.lwb-lib-search{flex:1;min-width:120px;width:100%;box-sizing:border-box}
.lwb-inline-form{display:inline-flex;margin:0}.lwb-lib-bar > .lwb-inline-form:only-child{flex:1}
.lwb-lib-main{flex:1;min-height:0;display:flex;flex-direction:column}
.lwb-lib-scroller{flex:1;min-height:0;overflow-y:auto;overflow-x:hidden;position:relative;outline:none;contain:strict;
 background:var(--comfy-menu-bg,#202024)}
.lwb-lib-spacer{width:1px}
.lwb-card{position:absolute;left:0;top:0;box-sizing:border-box;display:grid;grid-template-columns:14px 40px minmax(0,1fr) auto auto auto;
 gap:4px;align-items:center;padding:4px;border-bottom:1px solid #2c2c32;cursor:default;contain:strict;overflow:hidden}
.lwb-card:hover{background:#2a2a30}.lwb-card.lwb-active{background:#2d3f5a}
.lwb-card.lwb-loading .lwb-card-name{color:#666}
.lwb-thumb{width:40px;height:40px;border-radius:3px;background:#18181b;overflow:hidden;display:flex;align-items:center;justify-content:center}
.lwb-thumb img{width:100%;height:100%;object-fit:cover}.lwb-thumb[data-kind=none] img,.lwb-thumb[data-kind=video] img{display:none}
.lwb-thumb[data-kind=wait] img{visibility:hidden}
.lwb-thumb[data-kind=video]::after{content:"▶";color:#888}
.lwb-card-main{min-width:0;display:flex;flex-direction:column;gap:2px}
.lwb-card-name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.lwb-card-badges{display:flex;gap:3px;overflow:hidden;white-space:nowrap}
.lwb-badge-format{background:#3a5a4a;color:#cfe}.lwb-badge-rank{background:#444;color:#ccc}
.lwb-badge-tag{background:#5a4a2a;color:#fdb}.lwb-badge-error{background:#7a2a2a;color:#fcc}
.lwb-spark{display:flex;align-items:flex-end;gap:2px;width:30px;height:18px}
.lwb-spark-bar{width:8px;background:#c98a2b;border-radius:1px 1px 0 0}.lwb-spark-mid{background:#8a9a3b}.lwb-spark-output{background:#3b8ac9}
.lwb-star,.lwb-card-info{background:none;border:none;color:#bbb;cursor:pointer;font-size:14px;padding:0 2px}
.lwb-spark[hidden]{display:none}
.lwb-star.lwb-on{color:#f5c518}
.lwb-grid-mode .lwb-card{grid-template-columns:1fr 1fr;grid-template-rows:120px auto auto;border:1px solid #2c2c32;border-radius:4px}
.lwb-grid-mode .lwb-card .lwb-thumb{grid-column:1/3;width:100%;height:120px}
.lwb-grid-mode .lwb-card .lwb-card-main{grid-column:1/3}.lwb-grid-mode .lwb-card-check{position:absolute;top:4px;left:4px}
.lwb-chips{display:flex;gap:3px;flex-wrap:wrap;align-items:center}
.lwb-chip{background:#34343c;color:#ddd;border:1px solid #555;border-radius:10px;padding:1px 6px;font-size:11px;cursor:pointer;
 display:inline-flex;gap:3px;align-items:center}
.lwb-chip-x{background:none;border:none;color:#aaa;cursor:pointer;padding:0}
.lwb-filters{border:1px solid #3a3a40;border-radius:4px;padding:4px;max-height:45%;overflow:auto}
.lwb-facet summary{cursor:pointer;font-weight:bold;margin:2px 0}
.lwb-facet-values{display:flex;flex-direction:column;max-height:140px;overflow:auto}
.lwb-facet-row{display:flex;gap:4px;align-items:center}.lwb-facet-row.lwb-off{opacity:.5}
.lwb-facet-name{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.lwb-lib-bulk{display:flex;gap:4px;align-items:center;flex-wrap:wrap;background:#2d3f5a;padding:4px;border-radius:4px}
.lwb-lib-status{min-height:14px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.lwb-detail,.lwb-profiles-view{flex:1;min-height:0;overflow:auto;display:flex;flex-direction:column;gap:4px}
.lwb-detail-title{font-weight:bold;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;flex:1}
.lwb-fact{display:grid;grid-template-columns:90px 1fr;gap:4px}.lwb-fact span:last-child{word-break:break-all}
.lwb-desc{white-space:pre-wrap;word-break:break-word;max-height:240px;overflow:auto}
.lwb-detail-preview img,.lwb-detail-preview video{max-width:100%;max-height:320px}
.lwb-energy-chart{display:flex;align-items:flex-end;gap:1px;height:80px;background:#18181b;padding:2px;border-radius:3px}
.lwb-energy-col{flex:1;height:100%;display:flex;align-items:flex-end}.lwb-energy-fill{width:100%;background:#c98a2b}
.lwb-note{width:100%;box-sizing:border-box;resize:vertical}.lwb-weights{width:100%;box-sizing:border-box;font-family:monospace}
.lwb-profile-row{display:flex;gap:4px;align-items:center;padding:2px 0}
.lwb-profile-row a.lwb-btn{text-decoration:none}
.lwb-floating-library{position:fixed;right:12px;top:60px;width:420px;height:min(760px,85vh);z-index:9000;
 border:1px solid #444;border-radius:6px;box-shadow:0 4px 20px rgba(0,0,0,.5);display:flex;flex-direction:column;background:#202024}
.lwb-floating-library .lwb-lib-bar:first-child{cursor:move}
.lwb-library-toggle{position:fixed;left:12px;bottom:12px;z-index:9000}
`;

/** @param {Document} doc */
export function ensureLibraryStyles(doc) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  doc.head.append(style);
}
