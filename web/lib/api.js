// @ts-check
/**
 * The pack's one HTTP client: every request of the browser code goes through ComfyUI's own API helper
 * (`api.fetchApi` / `api.apiURL` of the frontend's scripts/api.js, injected), so a ComfyUI served under a
 * sub-path and its `Comfy-User` header work. Add new routes here as methods. On top: UI config (memoised),
 * LoRA search over the library route with a per-search fallback to ComfyUI's own LoRA list, preview URLs.
 */

export const DEFAULT_PAGE_SIZE = 50;
/** Staircase answers kept per page (one per family/sampler/scheduler/steps/denoise asked). */
export const STAIRCASE_MEMO = 32;

/**
 * @typedef {(route: string, init?: RequestInit) => Promise<Response>} FetchFn
 * @typedef {{fetchApi: FetchFn, apiURL: (route: string) => string}} ComfyApiHelper ComfyUI's `api` object
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
  /** @param {ComfyApiHelper} comfyApi ComfyUI's `api` (scripts/api.js); routes are given without `/api` */
  constructor(comfyApi) {
    this.comfyApi = comfyApi;
    /** @type {Promise<any> | null} */
    this.configPromise = null;
    /** @type {Promise<string[]> | null} */
    this.coreNames = null;
    /** how the last search went: null before any, true when the library answered, false when it did not */
    this.libraryAvailable = /** @type {boolean | null} */ (null);
    /** the role table never changes while the server runs @type {Promise<any> | undefined} */
    this.rolesPromise = undefined;
    /** @type {Promise<any> | null} */
    this.staircaseOptionsPromise = null;
    /** staircase answers by request key, oldest first (bounded by STAIRCASE_MEMO) @type {Map<string, Promise<any>>} */
    this.staircases = new Map();
  }

  /**
   * One request to a ComfyUI route (`/mad-nodes/...`, `/object_info/...`), through `api.fetchApi`.
   * @param {string} route @param {RequestInit} [init]
   */
  fetch(route, init) {
    return this.comfyApi.fetchApi(route, init);
  }

  /** The URL of a route, for `src` attributes (sub-path aware). @param {string} route */
  url(route) {
    return this.comfyApi.apiURL(route);
  }

  /** `/mad-nodes/pack-info`, or null when the route fails. */
  packInfo() {
    return this.fetch("/mad-nodes/pack-info").then((r) => (r.ok ? r.json() : null)).catch(() => null);
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
   * One page of LoRAs matching `query`: the library index when it answers, else ComfyUI's list. The library
   * is asked again on every search, so one failure (a restart, a timeout) does not hide it for good.
   * @param {{query?: string, page?: number, pageSize?: number, family?: string, role?: string}} params
   * @returns {Promise<SearchPage>}
   */
  async search({ query = "", page = 1, pageSize = DEFAULT_PAGE_SIZE, family = "", role = "" } = {}) {
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
   * Pause or resume the library's background block-energy pass; its status, or null when the library
   * route is not there. @param {"pause" | "resume"} action
   */
  async energyControl(action) {
    const response = await this.fetch(`/mad-nodes/library/energy/${action}`, { method: "POST" }).catch(() => null);
    return response && response.ok ? response.json() : null;
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

  /** Families, samplers and schedulers the staircase route accepts (`/mad-nodes/staircase/options`), fetched once. */
  staircaseOptions() {
    this.staircaseOptionsPromise ??= this.fetch("/mad-nodes/staircase/options")
      .then((r) => answerOf(r, "staircase options"))
      .catch((err) => { this.staircaseOptionsPromise = null; throw err; });
    return this.staircaseOptionsPromise;
  }

  /**
   * Every model evaluation of a sampling run (`POST /mad-nodes/staircase`, ComfyUI's own sampler), memoised;
   * a failed request is not kept.
   * @param {{family: string, sampler: string, scheduler: string, steps: number, denoise?: number}} request
   * @returns {Promise<{evaluations: {sigma: number, percent: number, step: number}[], sigmas: number[]}>}
   */
  staircase(request) {
    const key = JSON.stringify([request.family, request.sampler, request.scheduler, request.steps, request.denoise ?? 1]);
    let answer = this.staircases.get(key);
    if (!answer) {
      answer = this.fetch("/mad-nodes/staircase", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request) }).then((r) => answerOf(r, "staircase"));
      answer.catch(() => this.staircases.delete(key));
      this.staircases.set(key, answer);
      while (this.staircases.size > STAIRCASE_MEMO) this.staircases.delete(/** @type {string} */ (this.staircases.keys().next().value));
    }
    return answer;
  }

  /** The architecture of a checkpoint (`/mad-nodes/check-compatibility` without a LoRA), or null. @param {string} ckptName */
  async checkpointArch(ckptName) {
    const response = await this.fetch(`/mad-nodes/check-compatibility?${new URLSearchParams({ ckpt_name: ckptName })}`)
      .catch(() => null);
    const body = response && response.ok ? await response.json().catch(() => null) : null;
    return body && typeof body.ckpt_arch === "string" ? body.ckpt_arch : null;
  }

  // ─── Library workspace (routes/library_routes.py; contract in its docstring) ───

  /**
   * JSON of a request; an Error carrying the route's `error` text (and `status`, `body`) when it fails.
   * @param {string} url @param {RequestInit} [init]
   */
  async json(url, init) {
    const response = await this.fetch(url, init);
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const err = /** @type {Error & {status?: number, body?: any}} */ (
        new Error(body?.error ?? `${url.split("?")[0]}: HTTP ${response.status}`));
      err.status = response.status;
      err.body = body;
      throw err;
    }
    return body;
  }

  /** @param {string} url @param {string} method @param {any} body */
  send(url, method, body) {
    return this.json(url, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  /** One window of the library (`offset`, `page_size`, filters, sort). @param {Record<string, string>} params */
  libraryWindow(params) {
    return this.json(`/mad-nodes/library/search?${new URLSearchParams(params)}`);
  }

  /**
   * Facet counts under the filters of `params` (each facet's counts ignore its own filter); falls back to
   * the whole index's counts (`/library/status`) when the facets route is not there.
   * @param {Record<string, string>} params
   * @returns {Promise<{total: number, facets: Record<string, Record<string, number>>, filtered: boolean}>}
   */
  async libraryFacetCounts(params) {
    try {
      const body = await this.json(`/mad-nodes/library/facets?${new URLSearchParams(params)}`);
      return { total: body.total, facets: body.facets ?? {}, filtered: true };
    } catch (err) {
      if (/** @type {any} */ (err).status !== 404 && /** @type {any} */ (err).status !== 405) throw err;
      const status = await this.json("/mad-nodes/library/status");
      const index = status.index ?? {};
      const facets = { family: index.family, layout: index.layout, role: index.role, format: index.format };
      return { total: index.total ?? 0, facets, filtered: false };
    }
  }

  /** @param {string} id */
  libraryEntry(id) { return this.json(`/mad-nodes/library/entry/${encodeURIComponent(id)}`); }

  /** @param {string} id */
  libraryEnergy(id) { return this.json(`/mad-nodes/library/entry/${encodeURIComponent(id)}/energy`); }

  /** The texts of an entry's metadata sidecar (description, notes). @param {string} id */
  librarySidecar(id) { return this.json(`/mad-nodes/library/entry/${encodeURIComponent(id)}/sidecar`); }

  /** Favourite, note, tags of one content id (only the fields given are written). @param {string} id @param {any} patch */
  patchUserData(id, patch) { return this.send(`/mad-nodes/library/entry/${encodeURIComponent(id)}/user`, "PATCH", patch); }

  /** The same edit on many content ids at once. @param {string[]} ids @param {any} patch */
  bulkUserData(ids, patch) { return this.send("/mad-nodes/library/user/bulk", "POST", { ...patch, ids }); }

  /** User tags with their counts, optionally by prefix. @param {string} [prefix] @returns {Promise<{tag: string, count: number}[]>} */
  async libraryTags(prefix = "") {
    const body = await this.json(`/mad-nodes/library/tags?${new URLSearchParams(prefix ? { q: prefix } : {})}`);
    return body.tags ?? [];
  }

  /** @returns {Promise<{id: string, names: string[]}[]>} */
  async libraryDuplicates() { return (await this.json("/mad-nodes/library/duplicates")).groups ?? []; }

  /** @param {string} [layout] @returns {Promise<import("./profile_model.js").Profile[]>} */
  async profiles(layout = "") {
    return (await this.json(`/mad-nodes/profiles${layout ? `?${new URLSearchParams({ layout })}` : ""}`)).profiles ?? [];
  }

  /** @returns {Promise<Record<string, {lengths: number[]}>>} */
  profileLayouts() { return this.json("/mad-nodes/profiles/layouts"); }

  /** @param {{name: string, layout: string, weights: number[], notes?: string}} data */
  createProfile(data) { return this.send("/mad-nodes/profiles", "POST", data); }

  /** @param {number} id @param {{name: string, layout: string, weights: number[], notes?: string}} data */
  updateProfile(id, data) { return this.send(`/mad-nodes/profiles/${id}`, "PUT", data); }

  /** @param {number} id */
  deleteProfile(id) { return this.json(`/mad-nodes/profiles/${id}`, { method: "DELETE" }); }

  /** @param {number} id */
  profileCsvUrl(id) { return this.url(`/mad-nodes/profiles/${id}/csv`); }

  /** A profile from a CSV export (named `name` when given). @param {string} text @param {string} [name] */
  importProfileCsv(text, name = "") {
    const query = name ? `?${new URLSearchParams({ name })}` : "";
    return this.json(`/mad-nodes/profiles/import-csv${query}`, { method: "POST", headers: { "Content-Type": "text/csv" }, body: text });
  }

  /** The preview route of a LoRA (for `fetch`). @param {string} loraName */
  previewRoute(loraName) {
    return `/mad-nodes/lora-preview?${new URLSearchParams({ lora_name: loraName })}`;
  }

  /** The preview's URL (for `src`). @param {string} loraName */
  previewUrl(loraName) {
    return this.url(this.previewRoute(loraName));
  }

  /**
   * A small WebP of the LoRA's image preview fitting a `size` px square (the library's cards; a video preview
   * comes back whole). @param {string} loraName @param {number} size 16-512
   */
  thumbnailUrl(loraName, size) {
    return this.url(`/mad-nodes/lora-preview?${new URLSearchParams({ lora_name: loraName, size: String(size) })}`);
  }
}
