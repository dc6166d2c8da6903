// @ts-check
/**
 * Plain text from the HTML some sidecars carry (Civitai descriptions), for display with textContent:
 * block tags become line breaks, every other tag is dropped, the common entities are decoded, and runs
 * of blank lines collapse. The result is only ever inserted as text, so nothing in it can become markup
 * (a `<script>` inside a description shows as its words, if any, and never runs).
 */

const ENTITIES = /** @type {Record<string, string>} */ ({ amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: " " });

/** @param {string} html */
export function htmlToText(html) {
  if (typeof html !== "string" || !html) return "";
  const text = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|li|h[1-6]|tr|blockquote|pre)\s*>/gi, "\n")
    .replace(/<li\b[^>]*>/gi, "• ")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code) => {
      const lower = String(code).toLowerCase();
      if (lower.startsWith("#x")) return safeChar(parseInt(lower.slice(2), 16), whole);
      if (lower.startsWith("#")) return safeChar(parseInt(lower.slice(1), 10), whole);
      return ENTITIES[lower] ?? whole;
    });
  return text.split("\n").map((line) => line.replace(/[ \t]+/g, " ").trim()).join("\n").replace(/\n{3,}/g, "\n\n").trim();
}

/** @param {number} code @param {string} fallback */
function safeChar(code, fallback) {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

/** A short human size: 1536 -> "1.5 KB". @param {number | null | undefined} bytes */
export function formatBytes(bytes) {
  if (typeof bytes !== "number" || !Number.isFinite(bytes) || bytes < 0) return "?";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

/** `YYYY-MM-DD HH:MM` (UTC) of epoch seconds; "never" for null. @param {number | null | undefined} seconds */
export function formatTime(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "never";
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}
