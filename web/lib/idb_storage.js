// @ts-check
/**
 * The `CacheStorage` of metadata_cache.js over IndexedDB: database `MadNodesDB`, object store `cache`
 * (seed 004), out-of-line string keys. Nothing runs at import; `openIdbStorage` is given the factory.
 */

export const DB_NAME = "MadNodesDB";
export const STORE = "cache";
export const DB_VERSION = 1;

/** @template T @param {IDBRequest<T>} request @returns {Promise<T>} */
const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

/**
 * @param {IDBFactory} factory usually `window.indexedDB`
 * @returns {Promise<import("./metadata_cache.js").CacheStorage>}
 */
export async function openIdbStorage(factory) {
  const open = factory.open(DB_NAME, DB_VERSION);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE);
  };
  /** @type {IDBDatabase} */
  const db = await done(open);
  /** @param {IDBTransactionMode} mode */
  const store = (mode) => db.transaction(STORE, mode).objectStore(STORE);
  return {
    async getAll() {
      const s = store("readonly");
      const [keys, values] = await Promise.all([done(s.getAllKeys()), done(s.getAll())]);
      return keys.map((k, i) => [String(k), values[i]]);
    },
    async put(key, value) { await done(store("readwrite").put(value, key)); },
    async delete(key) { await done(store("readwrite").delete(key)); },
    async clear() { await done(store("readwrite").clear()); },
  };
}
