// @ts-check
/**
 * Browser cache of `/mad-nodes/inspect-lora` and `/mad-nodes/check-compatibility` answers (seed 004
 * "Caching" -> "Frontend"): a persistent store (IndexedDB in the browser, anything with the same four
 * methods in tests) mirrored in memory for synchronous reads.
 *
 * Fixes over the seed: error answers are never stored; a stored inspect answer is checked once per
 * session against the server, and replaced when the file's fingerprint changed; identical requests in
 * flight are shared; reads wait for hydration instead of racing it. An answer saying `stats_pending` is
 * never stored: its stats arrive as the `lwb.inspect.stats` event (`statsArrived`), which is stored.
 */

export const LEGACY_KEY = "MAD_NODES_LORA_METADATA_V1";
export const INSPECT_PREFIX = "inspect:";
/** ComfyUI websocket event with the stats of an inspect answer that said `stats_pending` (routes/inspect_routes.py). */
export const STATS_EVENT = "lwb.inspect.stats";
/** How many stats events are remembered for answers still on their way (an event may beat its HTTP answer). */
export const RECENT_EVENTS = 64;
export const COMPAT_PREFIX = "compat:";

/**
 * @typedef {{getAll(): Promise<Array<[string, any]>>, put(key: string, value: any): Promise<void>,
 *   delete(key: string): Promise<void>, clear(): Promise<void>}} CacheStorage
 * @typedef {{getItem(key: string): string | null, removeItem(key: string): void}} LegacyStorage
 * @typedef {(url: string, init?: RequestInit) => Promise<Response>} FetchFn
 */

export const inspectKey = (/** @type {string} */ lora) => `${INSPECT_PREFIX}${lora}`;
export const compatKey = (/** @type {string} */ ckpt, /** @type {string} */ lora) => `${COMPAT_PREFIX}${ckpt}:${lora}`;

/**
 * The final inspect answer made from a `lwb.inspect.stats` event: `{arch, stats, fingerprint}` or
 * `{arch, stats_error, fingerprint}`; null when the event is not one.
 * @param {any} detail
 */
export function answerFromStatsEvent(detail) {
  if (!detail || typeof detail !== "object" || typeof detail.lora_name !== "string" || !detail.fingerprint) return null;
  const body = /** @type {Record<string, any>} */ ({ arch: detail.arch });
  if (detail.stats_error !== undefined) body.stats_error = detail.stats_error;
  else body.stats = detail.stats;
  body.fingerprint = detail.fingerprint;
  return body;
}

/** An answer worth keeping: a 200 with no error of its own. @param {Response} response @param {any} body */
function cacheable(response, body) {
  if (!response.ok || body === null || typeof body !== "object") return false;
  if (body.error || body.stats_error || body.stats_pending) return false;
  return body.status === undefined || body.status === "ok";
}

export class MetadataCache {
  /**
   * @param {{storage: CacheStorage, legacy?: LegacyStorage | null, fetch: FetchFn}} deps
   */
  constructor({ storage, legacy = null, fetch }) {
    this.storage = storage;
    this.legacy = legacy;
    this.fetch = fetch;
    /** @type {Map<string, any>} */
    this.mirror = new Map();
    /** @type {Map<string, Promise<any>>} */
    this.inflight = new Map();
    /** keys checked against the server in this session @type {Set<string>} */
    this.validated = new Set();
    /** @type {Promise<void> | null} */
    this.hydrating = null;
    /** final answers from stats events, by LoRA name, newest last (bounded) @type {Map<string, any>} */
    this.recentStats = new Map();
  }

  /**
   * A `lwb.inspect.stats` event arrived: its answer is stored (when it has stats) and returned, so a
   * view showing the pending answer of the same name and fingerprint can show it; null if not an event.
   * @param {any} detail
   */
  async statsArrived(detail) {
    const body = answerFromStatsEvent(detail);
    if (!body) return null;
    this.recentStats.delete(detail.lora_name);
    this.recentStats.set(detail.lora_name, body);
    if (this.recentStats.size > RECENT_EVENTS) this.recentStats.delete(this.recentStats.keys().next().value ?? "");
    await this.ready();
    const key = inspectKey(detail.lora_name);
    const stored = this.mirror.get(key);
    if (!body.stats_error && (!stored || stored.fingerprint !== body.fingerprint || !stored.stats)) {
      this.mirror.set(key, body);
      this.validated.add(key); // fresh from the server
      await this.storage.put(key, body);
    }
    return body;
  }

  /**
   * `body`, or the final answer when it says `stats_pending` and its stats already arrived as an event.
   * @param {string} loraName @param {any} body
   */
  settled(loraName, body) {
    if (!body?.stats_pending) return body;
    const arrived = this.recentStats.get(loraName);
    return arrived && arrived.fingerprint === body.fingerprint ? arrived : body;
  }

  /** Load the store into memory once; import the legacy localStorage entries when the store is empty. */
  ready() {
    this.hydrating ??= this.hydrate();
    return this.hydrating;
  }

  async hydrate() {
    const entries = await this.storage.getAll();
    for (const [key, value] of entries) this.mirror.set(key, value);
    if (entries.length === 0) await this.importLegacy();
  }

  async importLegacy() {
    const text = this.legacy?.getItem(LEGACY_KEY);
    if (!text) return;
    let data = null;
    try {
      data = JSON.parse(text);
    } catch (err) {
      console.warn(`[LoRAWeightsBuilder] ignoring unreadable ${LEGACY_KEY}: ${/** @type {Error} */ (err).message}`);
    }
    if (data && typeof data === "object" && !Array.isArray(data)) {
      for (const [rawKey, value] of Object.entries(data)) {
        if (value === null || typeof value !== "object" || value.error || value.status === "error") continue;
        const key = rawKey.startsWith(INSPECT_PREFIX) || rawKey.startsWith(COMPAT_PREFIX) ? rawKey : inspectKey(rawKey);
        this.mirror.set(key, value);
        await this.storage.put(key, value);
      }
    }
    this.legacy?.removeItem(LEGACY_KEY);
  }

  /** The stored answer, synchronously (null before hydration or when absent). @param {string} key */
  peek(key) {
    return this.mirror.get(key) ?? null;
  }

  /**
   * @param {string} key @param {string} url
   * @returns {Promise<{body: any, cached: boolean}>}
   */
  fetchAndStore(key, url) {
    const running = this.inflight.get(url);
    if (running) return running;
    const job = (async () => {
      const response = await this.fetch(url);
      const body = await response.json().catch(() => null);
      if (cacheable(response, body)) {
        this.mirror.set(key, body);
        this.validated.add(key);
        await this.storage.put(key, body);
      }
      return { body, cached: false };
    })().finally(() => this.inflight.delete(url));
    this.inflight.set(url, job);
    return job;
  }

  /**
   * The inspect answer of a LoRA. A stored one is used at once unless `refresh`; `onStale` gets the new
   * answer when the once-per-session check finds that the file changed.
   * @param {string} loraName
   * @param {{refresh?: boolean, onStale?: (body: any) => void}} [options]
   */
  async inspect(loraName, { refresh = false, onStale } = {}) {
    await this.ready();
    const key = inspectKey(loraName);
    const url = `/mad-nodes/inspect-lora?${new URLSearchParams({ lora_name: loraName, ...(refresh ? { refresh: "true" } : {}) })}`;
    const stored = this.mirror.get(key);
    if (!stored || refresh) return this.settled(loraName, (await this.fetchAndStore(key, url)).body);
    if (!this.validated.has(key)) {
      this.validated.add(key);
      this.fetchAndStore(key, url).then(({ body }) => {
        if (body && body.fingerprint && body.fingerprint !== stored.fingerprint) onStale?.(this.settled(loraName, body));
      }).catch((err) => console.warn(`[LoRAWeightsBuilder] re-checking ${loraName}: ${err}`));
    }
    return stored;
  }

  /** @param {string} ckptName @param {string} loraName */
  async compatibility(ckptName, loraName) {
    await this.ready();
    const key = compatKey(ckptName, loraName);
    const stored = this.mirror.get(key);
    if (stored) return stored;
    const url = `/mad-nodes/check-compatibility?${new URLSearchParams({ ckpt_name: ckptName, lora_name: loraName })}`;
    return (await this.fetchAndStore(key, url)).body;
  }

  /** Clear Metadata Cache: the browser store, the mirror, then the backend cache. Returns the backend's answer. */
  async clearAll() {
    await this.ready();
    this.mirror.clear();
    this.validated.clear();
    await this.storage.clear();
    let response = await this.fetch("/mad-nodes/clear-cache", { method: "POST" });
    if (response.status === 404 || response.status === 405) {
      response = await this.fetch("/mad-nodes/inspect-lora?clear_cache_all=true");
    }
    if (!response.ok) throw new Error(`clearing the server cache failed: HTTP ${response.status}`);
    return response.json();
  }
}

/** A CacheStorage in memory (tests, and a fallback when IndexedDB is unavailable). @returns {CacheStorage} */
export function memoryStorage() {
  /** @type {Map<string, any>} */
  const data = new Map();
  return {
    getAll: async () => [...data.entries()].map(([k, v]) => [k, structuredClone(v)]),
    put: async (k, v) => { data.set(k, structuredClone(v)); },
    delete: async (k) => { data.delete(k); },
    clear: async () => { data.clear(); },
  };
}
