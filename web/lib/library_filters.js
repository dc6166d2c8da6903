// @ts-check
/**
 * The library tab's filter and sort state (no DOM): defaults, reading a stored copy back defensively
 * (local settings survive a reload; a hand-edited or older copy never breaks the tab), the query
 * parameters of `/mad-nodes/library/search` and `/facets` (route contract in routes/library_routes.py),
 * the facet menus with their counts, and the chips of the active filters.
 */

export const STORAGE_KEY = "lwb.library.state.v1";

/** Multi-value facets: each is a list of values OR-ed by the route. */
export const LIST_FACETS = /** @type {const} */ (["family", "layout", "role", "format", "tag"]);
/** Yes/no facets: "" (any), "true" or "false". */
export const FLAG_FACETS = /** @type {const} */ (["favourite", "clip", "preview"]);

export const SORTS = [
  { value: "name", label: "Name" },
  { value: "modified", label: "Date" },
  { value: "size", label: "Size" },
  { value: "rank", label: "Rank" },
  { value: "balance", label: "Energy balance" },
  { value: "last_used", label: "Last used" },
  { value: "use_count", label: "Times used" },
];
export const VIEWS = ["list", "grid"];
export const MAX_TEXT = 200;
export const MAX_RANK = 100000;

export const FACET_LABELS = /** @type {Record<string, string>} */ ({
  family: "Family", layout: "Layout", role: "Role", format: "Format", tag: "Tag", folder: "Folder",
  favourite: "Favourite", clip: "Text encoder", preview: "Preview",
});

/**
 * @typedef {{q: string, family: string[], layout: string[], role: string[], format: string[], tag: string[],
 *   tagMode: "any" | "all", folder: string, favourite: string, clip: string, preview: string,
 *   rankMin: number | null, rankMax: number | null, sort: string, order: "asc" | "desc", view: string}} LibraryState
 * @typedef {{value: string, label: string, count: number, selected: boolean}} FacetChoice
 */

/** @returns {LibraryState} */
export const defaultState = () => ({
  q: "", family: [], layout: [], role: [], format: [], tag: [], tagMode: "any", folder: "",
  favourite: "", clip: "", preview: "", rankMin: null, rankMax: null, sort: "name", order: "asc", view: "list",
});

/** @param {unknown} v */
const strings = (v) => (Array.isArray(v) ? [...new Set(v.filter((x) => typeof x === "string" && x.length <= MAX_TEXT))] : []);
/** @param {unknown} v */
const flag = (v) => (v === "true" || v === "false" ? v : "");
/** @param {unknown} v */
function rank(v) {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= MAX_RANK ? n : null;
}

/**
 * A valid state from anything (a stored copy, a partial patch over the defaults); unknown or malformed
 * fields fall back to their default.
 * @param {any} raw
 * @returns {LibraryState}
 */
export function normaliseState(raw) {
  const base = defaultState();
  if (!raw || typeof raw !== "object") return base;
  /** @type {LibraryState} */
  const out = { ...base };
  out.q = typeof raw.q === "string" ? raw.q.slice(0, MAX_TEXT) : "";
  for (const name of LIST_FACETS) out[name] = strings(raw[name]);
  out.tagMode = raw.tagMode === "all" ? "all" : "any";
  out.folder = typeof raw.folder === "string" ? raw.folder.slice(0, 1000) : "";
  for (const name of FLAG_FACETS) out[name] = flag(raw[name]);
  out.rankMin = rank(raw.rankMin);
  out.rankMax = rank(raw.rankMax);
  out.sort = SORTS.some((s) => s.value === raw.sort) ? raw.sort : base.sort;
  out.order = raw.order === "desc" ? "desc" : "asc";
  out.view = VIEWS.includes(raw.view) ? raw.view : base.view;
  return out;
}

/** @param {{getItem: (k: string) => string | null}} storage @returns {LibraryState} */
export function loadState(storage) {
  try {
    return normaliseState(JSON.parse(storage.getItem(STORAGE_KEY) ?? "null"));
  } catch {
    return defaultState();
  }
}

/** @param {{setItem: (k: string, v: string) => void}} storage @param {LibraryState} state */
export function saveState(storage, state) {
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(state));
  } catch {
    // storage full or refused (private mode): the state lives until the page closes
  }
}

/**
 * Query parameters of the filters (no paging, no sort): shared by search and facets.
 * @param {LibraryState} s
 * @returns {Record<string, string>}
 */
export function filterParams(s) {
  /** @type {Record<string, string>} */
  const out = {};
  if (s.q.trim()) out.q = s.q.trim();
  for (const name of LIST_FACETS) if (s[name].length) out[name] = s[name].join(",");
  if (s.tag.length > 1 && s.tagMode === "all") out.tag_mode = "all";
  if (s.folder) out.folder = s.folder;
  for (const name of FLAG_FACETS) if (s[name]) out[name] = s[name];
  if (s.rankMin !== null) out.rank_min = String(s.rankMin);
  if (s.rankMax !== null) out.rank_max = String(s.rankMax);
  return out;
}

/**
 * Search parameters for the page starting at row `offset` (a multiple of `pageSize`: the grid asks for
 * whole pages, so the route's 1-based `page` addresses it).
 * @param {LibraryState} s @param {number} offset @param {number} pageSize
 */
export function searchParams(s, offset, pageSize) {
  return { ...filterParams(s), sort: s.sort, order: s.order, page: String(Math.floor(offset / pageSize) + 1),
    page_size: String(pageSize) };
}

/** A key that changes exactly when the result list changes (filters or sort). @param {LibraryState} s */
export const queryKey = (s) => JSON.stringify([filterParams(s), s.sort, s.order]);

/**
 * A facet's menu: every value with its count (most first, then by name); selected values stay listed
 * even when the other filters leave none of them.
 * @param {Record<string, number> | undefined} counts @param {string[]} selected @param {(v: string) => string} [label]
 * @returns {FacetChoice[]}
 */
export function facetChoices(counts, selected, label = (v) => v) {
  const map = new Map(Object.entries(counts ?? {}).filter(([v]) => v !== "null").map(([v, n]) => [v, Number(n) || 0]));
  for (const v of selected) if (!map.has(v)) map.set(v, 0);
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([value, count]) => ({ value, label: label(value), count, selected: selected.includes(value) }));
}

/** "1,234" style counts (no locale surprises in tests). @param {number} n */
export function formatCount(n) {
  return String(Math.max(0, Math.round(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `label (count)` as the menus show it. @param {FacetChoice} c */
export const choiceText = (c) => `${c.label} (${formatCount(c.count)})`;

/** The count of a yes/no facet value from a facets answer. @param {any} facets @param {string} name @param {"true" | "false"} value */
export function flagCount(facets, name, value) {
  const entry = facets?.[name];
  return Number(entry?.[value] ?? 0) || 0;
}

/** Folder labels: the root is "(top level)". @param {string} v */
export const folderLabel = (v) => (v === "" ? "(top level)" : v);

/**
 * One chip per active filter, each with the patch that removes it.
 * @param {LibraryState} s
 * @returns {{text: string, patch: Partial<LibraryState>}[]}
 */
export function activeChips(s) {
  /** @type {{text: string, patch: Partial<LibraryState>}[]} */
  const chips = [];
  if (s.q.trim()) chips.push({ text: `“${s.q.trim()}”`, patch: { q: "" } });
  for (const name of LIST_FACETS) {
    for (const value of s[name]) chips.push({ text: `${FACET_LABELS[name]}: ${value}`, patch: { [name]: s[name].filter((v) => v !== value) } });
  }
  if (s.folder) chips.push({ text: `Folder: ${folderLabel(s.folder)}`, patch: { folder: "" } });
  for (const name of FLAG_FACETS) {
    if (s[name]) chips.push({ text: `${FACET_LABELS[name]}: ${s[name] === "true" ? "yes" : "no"}`, patch: { [name]: "" } });
  }
  if (s.rankMin !== null || s.rankMax !== null) {
    chips.push({ text: `Rank ${s.rankMin ?? 0}–${s.rankMax ?? "∞"}`, patch: { rankMin: null, rankMax: null } });
  }
  return chips;
}

/** The state with every filter cleared (sort and view kept). @param {LibraryState} s @returns {LibraryState} */
export const clearFilters = (s) => ({ ...defaultState(), sort: s.sort, order: s.order, view: s.view });

/** Toggle `value` in a list facet. @param {LibraryState} s @param {typeof LIST_FACETS[number]} name @param {string} value */
export function toggleValue(s, name, value) {
  const list = s[name].includes(value) ? s[name].filter((v) => v !== value) : [...s[name], value];
  return { ...s, [name]: list };
}
