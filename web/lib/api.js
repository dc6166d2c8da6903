// @ts-check
/**
 * The editor's HTTP client: UI config (memoised), LoRA search over the library route with a fallback to
 * ComfyUI's own LoRA list when the library is not there, and preview URLs. `fetch` is injected.
 */

export const DEFAULT_PAGE_SIZE = 50;

/**
 * @typedef {(url: string, init?: RequestInit) => Promise<Response>} FetchFn
 * @typedef {{name: string, arch?: string, family?: string, role?: string, preview?: string | null,
 *   error?: string | null}} LoraEntry
 * @typedef {{total: number, page: number, pageSize: number, items: LoraEntry[], source: "library" | "core",
 *   scan?: any}} SearchPage
 */

/**
 * Names containing every word of `query` (case-insensitive), one page of them.
 * @param {string[]} names @param {string} query @param {number} page 1-based @param {number} pageSize
 * @returns {{total: number, names: string[]}}
 */
export function filterNames(names, query, page, pageSize) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matched = words.length ? names.filter((n) => {
    const low = n.toLowerCase();
    return words.every((w) => low.includes(w));
  }) : names;
  const start = (Math.max(1, page) - 1) * pageSize;
  return { total: matched.length, names: matched.slice(start, start + pageSize) };
}

/** The LoRA names of `/object_info/LoraLoader`, in either combo spelling. @param {any} info */
export function loraNamesFromObjectInfo(info) {
  const spec = info?.LoraLoader?.input?.required?.lora_name;
  if (!Array.isArray(spec)) return [];
  if (Array.isArray(spec[0])) return spec[0].map(String);
  const options = spec[1]?.options;
  return Array.isArray(options) ? options.map(String) : [];
}

/**
 * The JSON body of a route's answer, or an Error with the route's own message (`{error}`) or its status.
 * @param {Response} response @param {string} what
 */
export async function answerOf(response, what) {
  const body = await response.json().catch(() => null);
  if (response.ok && body !== null) return body;
  const message = body && typeof body.error === "string" ? body.error : `HTTP ${response.status}`;
  throw new Error(`${what}: ${message}`);
}

export class EditorApi {
  /** @param {FetchFn} fetchFn */
  constructor(fetchFn) {
    this.fetch = fetchFn;
    /** @type {Promise<any> | null} */
    this.configPromise = null;
    /** @type {Promise<string[]> | null} */
    this.coreNames = null;
    /** null until the library route answered once; false when it is not available */
    this.libraryAvailable = /** @type {boolean | null} */ (null);
    /** the role table never changes while the server runs @type {Promise<any> | undefined} */
    this.rolesPromise = undefined;
  }

  /** `/mad-nodes/config`, fetched once; `{}` when the route fails (the editor then shows no blocks). */
  config() {
    this.configPromise ??= this.fetch("/mad-nodes/config")
      .then((r) => (r.ok ? r.json() : {}))
      .catch((err) => {
        console.warn(`[LoRAWeightsBuilder] /mad-nodes/config: ${err}`);
        this.configPromise = null;
        return {};
      });
    return this.configPromise;
  }

  /** Every LoRA name ComfyUI lists (fallback source), fetched once. */
  allLoraNames() {
    this.coreNames ??= this.fetch("/object_info/LoraLoader")
      .then((r) => (r.ok ? r.json() : {}))
      .then(loraNamesFromObjectInfo)
      .catch(() => { this.coreNames = null; return []; });
    return this.coreNames;
  }

  /**
   * One page of LoRAs matching `query`: the library index when it answers, else ComfyUI's list.
   * @param {{query?: string, page?: number, pageSize?: number, family?: string, role?: string}} params
   * @returns {Promise<SearchPage>}
   */
  async search({ query = "", page = 1, pageSize = DEFAULT_PAGE_SIZE, family = "", role = "" } = {}) {
    if (this.libraryAvailable !== false) {
      const params = new URLSearchParams({ q: query, page: String(page), page_size: String(pageSize) });
      if (family) params.set("family", family);
      if (role) params.set("role", role);
      const response = await this.fetch(`/mad-nodes/library/search?${params}`).catch(() => null);
      if (response && response.ok) {
        this.libraryAvailable = true;
        const body = await response.json();
        return { total: body.total, page: body.page, pageSize: body.page_size, items: body.items, source: "library",
          scan: body.scan };
      }
      if (response && response.status === 400) {
        const body = await response.json().catch(() => ({}));
        throw new Error(body.error ?? "the library refused the search");
      }
      this.libraryAvailable = false;
    }
    const { total, names } = filterNames(await this.allLoraNames(), query, page, pageSize);
    return { total, page, pageSize, items: names.map((name) => ({ name })), source: "core" };
  }

  /**
   * What the picker's filter menus need: `/mad-nodes/library/status` (facet counts) and the role table,
   * fetched together; nulls when the library is not there (the picker then hides its filters).
   * @returns {Promise<{status: any, roles: any}>}
   */
  async libraryFacets() {
    const get = (/** @type {string} */ url) => this.fetch(url).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    this.rolesPromise ??= get("/mad-nodes/library/roles").then((body) => {
      if (!body) this.rolesPromise = undefined;
      return body;
    });
    const [status, roles] = await Promise.all([get("/mad-nodes/library/status"), this.rolesPromise]);
    return { status, roles };
  }

  /**
   * `POST /mad-nodes/combine`: the combined configuration of a LoRA set, from the node's own engine.
   * Rejects with the route's error message (it names the field) when the request is refused.
   * @param {any} body @param {AbortSignal} [signal]
   */
  async combine(body, signal) {
    const response = await this.fetch("/mad-nodes/combine", { method: "POST", signal,
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    return answerOf(response, "combine");
  }

  /** Saved block-weight profiles (`/mad-nodes/profiles`); [] when the library is not there. @returns {Promise<any[]>} */
  async blockProfiles() {
    const response = await this.fetch("/mad-nodes/profiles").catch(() => null);
    if (!response || !response.ok) return [];
    const body = await response.json().catch(() => ({}));
    return Array.isArray(body.profiles) ? body.profiles : [];
  }

  /** The most recent compositions, newest first. @param {number} limit @returns {Promise<any[]>} */
  async compositions(limit) {
    const response = await this.fetch(`/mad-nodes/compositions?${new URLSearchParams({ limit: String(limit) })}`);
    const body = await answerOf(response, "composition history");
    return Array.isArray(body) ? body : (body.compositions ?? body.items ?? []);
  }

  /** One recorded composition. @param {string | number} id */
  async composition(id) {
    const response = await this.fetch(`/mad-nodes/compositions/${encodeURIComponent(String(id))}`);
    const body = await answerOf(response, `composition ${id}`);
    return body.composition ?? body;
  }

  /** Record the combination of `request` in the history (a preview the user keeps). @param {any} request */
  async keepComposition(request) {
    const response = await this.fetch("/mad-nodes/compositions", { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(request) });
    return answerOf(response, "keep composition");
  }

  /** @param {string} loraName */
  previewUrl(loraName) {
    return `/mad-nodes/lora-preview?${new URLSearchParams({ lora_name: loraName })}`;
  }
}
