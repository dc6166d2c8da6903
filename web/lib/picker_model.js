// @ts-check
/**
 * Pure parts of the LoRA picker (no DOM): the filter menus built from the library's status and role
 * table, page arithmetic, the wording of a compatibility hint, and a small bounded queue that asks for
 * compatibility hints of the rows a user can actually see (so a 10k library never fires hundreds of
 * requests: only the visible rows of the current page, a few at a time, the hovered one first).
 */

/**
 * @typedef {{value: string, label: string, count: number}} Choice
 */

/**
 * Family and role menus: families from the index facets (most used first), roles in the role table's
 * order with their counts (roles no LoRA has are kept: the user may look for them, the count says 0).
 * @param {any} status `GET /mad-nodes/library/status` body (or null)
 * @param {any} roles `GET /mad-nodes/library/roles` body (or null)
 * @returns {{families: Choice[], roles: Choice[]}}
 */
export function filterChoices(status, roles) {
  const index = status?.index ?? {};
  const familyCounts = /** @type {Record<string, number>} */ (index.family ?? {});
  const families = Object.entries(familyCounts)
    .filter(([value]) => value && value !== "null")
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([value, count]) => ({ value, label: `${value} (${count})`, count }));
  const roleCounts = /** @type {Record<string, number>} */ (index.role ?? {});
  const order = Array.isArray(roles?.roles) ? roles.roles.map(String) : Object.keys(roleCounts);
  for (const value of Object.keys(roleCounts)) if (!order.includes(value)) order.push(value);
  const roleChoices = order.map((value) => {
    const count = roleCounts[value] ?? 0;
    return { value, label: `${value} (${count})`, count };
  });
  return { families, roles: roleChoices };
}

/** @param {number} total @param {number} pageSize */
export const pageCount = (total, pageSize) => Math.max(1, Math.ceil(total / Math.max(1, pageSize)));

/** A page number typed by the user, clamped to 1..pages; null when it is not a number. @param {string} text @param {number} pages */
export function parsePage(text, pages) {
  const n = Number.parseInt(text.trim(), 10);
  if (!Number.isFinite(n)) return null;
  return Math.min(pages, Math.max(1, n));
}

/**
 * What the picker shows for a `/mad-nodes/check-compatibility` answer.
 * `kind`: "ok" (same base family), "bad" (another family, or unknown), "none" (no checkpoint to compare:
 * the route did not find it; the picker then stops asking).
 * @param {any} body
 * @returns {{kind: "ok" | "bad" | "none", text: string, title: string}}
 */
export function compatHint(body) {
  if (!body || body.status === "error") {
    return { kind: "none", text: "", title: String(body?.message ?? "no answer") };
  }
  if (body.compatible) return { kind: "ok", text: "✓", title: `Suits the checkpoint (${body.ckpt_arch})` };
  return { kind: "bad", text: "⚠", title: String(body.message || `Not for ${body.ckpt_arch}`) };
}

/**
 * Runs `run(key)` for queued keys, at most `limit` at once; a key runs once (until `reset`). `prioritise`
 * moves a key to the front (the hovered row). `reset` drops everything queued (a new page or query);
 * answers of jobs already running still arrive, the caller ignores keys it no longer shows.
 */
export class HintQueue {
  /**
   * @param {(key: string) => Promise<void>} run
   * @param {number} [limit]
   */
  constructor(run, limit = 2) {
    this.run = run;
    this.limit = limit;
    /** @type {string[]} */
    this.waiting = [];
    /** keys queued, running or done @type {Set<string>} */
    this.seen = new Set();
    this.running = 0;
    this.stopped = false;
  }

  /** @param {string} key */
  add(key) {
    if (this.stopped || this.seen.has(key)) return;
    this.seen.add(key);
    this.waiting.push(key);
    this.pump();
  }

  /** @param {string} key */
  prioritise(key) {
    if (this.stopped) return;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.waiting.unshift(key);
      this.pump();
      return;
    }
    const at = this.waiting.indexOf(key);
    if (at > 0) { this.waiting.splice(at, 1); this.waiting.unshift(key); }
  }

  /** Forget queued keys (they may be asked for again later); running ones finish. */
  reset() {
    for (const key of this.waiting) this.seen.delete(key);
    this.waiting = [];
  }

  /** No more requests at all (picker closed, or no checkpoint to compare with). */
  stop() {
    this.stopped = true;
    this.waiting = [];
  }

  pump() {
    while (!this.stopped && this.running < this.limit && this.waiting.length) {
      const key = /** @type {string} */ (this.waiting.shift());
      this.running += 1;
      this.run(key)
        .catch((err) => console.warn(`[LoRAWeightsBuilder] hint for ${key}: ${err}`))
        .finally(() => { this.running -= 1; this.pump(); });
    }
  }
}
