// @ts-check
/**
 * The energy sparkline of a library card (no DOM): a LoRA's block energy split into input / middle /
 * output thirds of the network, as shares of the whole, three bars scaled to the largest share, and the
 * words a tooltip shows. `energy` is the search item's `{input, mid, output, balance}` (null until the
 * library measured it).
 */

export const PARTS = /** @type {const} */ (["input", "mid", "output"]);
export const PART_LABELS = { input: "in", mid: "mid", output: "out" };

/**
 * Shares of the three parts (sum 1); null when there is no energy or it is all zero / not finite.
 * @param {any} energy
 * @returns {{input: number, mid: number, output: number} | null}
 */
export function energySplit(energy) {
  if (!energy || typeof energy !== "object") return null;
  const raw = PARTS.map((p) => Number(energy[p]));
  if (raw.some((v) => !Number.isFinite(v) || v < 0)) return null;
  const sum = raw[0] + raw[1] + raw[2];
  if (!(sum > 0)) return null;
  return { input: raw[0] / sum, mid: raw[1] / sum, output: raw[2] / sum };
}

/**
 * Bar rectangles for a `width` x `height` box (bottom-aligned, the largest share fills the height; a
 * share above zero is at least one pixel tall so it never disappears).
 * @param {{input: number, mid: number, output: number}} split @param {number} width @param {number} height
 * @param {number} [gap]
 * @returns {{part: string, x: number, y: number, w: number, h: number}[]}
 */
export function sparkBars(split, width, height, gap = 2) {
  const max = Math.max(split.input, split.mid, split.output);
  const w = Math.max(1, (width - gap * (PARTS.length - 1)) / PARTS.length);
  return PARTS.map((part, i) => {
    const share = split[part];
    const h = max > 0 ? Math.max(share > 0 ? 1 : 0, Math.round((share / max) * height)) : 0;
    return { part, x: Math.round(i * (w + gap)), y: height - h, w: Math.round(w), h };
  });
}

/** "in 20% · mid 10% · out 70%". @param {{input: number, mid: number, output: number}} split */
export function splitText(split) {
  return PARTS.map((p) => `${PART_LABELS[p]} ${Math.round(split[p] * 100)}%`).join(" · ");
}

/**
 * Where the LoRA acts, in words: the part holding at least half the energy, else "spread".
 * @param {{input: number, mid: number, output: number}} split
 */
export function dominantPart(split) {
  const best = PARTS.reduce((a, b) => (split[b] > split[a] ? b : a), PARTS[0]);
  return split[best] >= 0.5 ? best : "spread";
}
