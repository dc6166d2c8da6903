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

  /** @param {string} loraName */
  previewUrl(loraName) {
    return `/mad-nodes/lora-preview?${new URLSearchParams({ lora_name: loraName })}`;
  }
}
