// @ts-check
/**
 * Which thumbnails to load, and when (no DOM): every shown card says which image it wants; at most
 * `maxInFlight` images are fetched and decoded at once, the most recently wanted first (the cards the user
 * is looking at now, not the ones a fling passed), nothing new starts while paused (the list is flung), and
 * a card gets its image only once it is decoded (`load` resolves), so swapping it in costs the page no
 * decoding. Images decoded recently are remembered (up to `keep`, with what `load` resolved to, so the decoded
 * image stays referenced and in the browser's memory cache), so a card scrolled back into view shows its image
 * at once. `load` is injected: the tab decodes with `HTMLImageElement.decode()`, tests use promises.
 * @template T the target that shows an image (a card's <img>)
 */
export class ThumbnailQueue {
  /**
   * @param {{load: (url: string) => Promise<unknown>, apply: (target: T, url: string, ok: boolean) => void,
   *   maxInFlight?: number, keep?: number}} o
   */
  constructor({ load, apply, maxInFlight = 4, keep = 200 }) {
    this.load = load;
    this.apply = apply;
    this.maxInFlight = maxInFlight;
    this.keep = keep;
    /** target -> url it waits for, oldest first @type {Map<T, string>} */
    this.wanted = new Map();
    /** urls being loaded @type {Set<string>} */
    this.loading = new Set();
    /** url -> whether it loaded and what load gave, most recent last (bounded by `keep`) @type {Map<string, {ok: boolean, held: unknown}>} */
    this.done = new Map();
    this.paused = false;
  }

  /**
   * `target` now shows `url` (or nothing: ""). Returns true when the image was applied at once (known),
   * false when the target waits (it is applied later, unless the target wants something else by then).
   * @param {T} target @param {string} url
   */
  want(target, url) {
    this.wanted.delete(target);
    if (!url) return true;
    const known = this.done.get(url);
    if (known !== undefined) {
      this.done.delete(url);
      this.done.set(url, known);
      this.apply(target, url, known.ok);
      return true;
    }
    this.wanted.set(target, url);
    this.pump();
    return false;
  }

  /** While paused nothing new is fetched (already known images still apply). @param {boolean} paused */
  setPaused(paused) {
    this.paused = paused;
    if (!paused) this.pump();
  }

  /** How many targets wait for an image. */
  get waiting() { return this.wanted.size; }

  pump() {
    if (this.paused) return;
    const newestFirst = [...this.wanted.values()].reverse();
    for (const url of newestFirst) {
      if (this.loading.size >= this.maxInFlight) return;
      if (this.loading.has(url)) continue;
      this.loading.add(url);
      this.load(url).then((held) => this.finish(url, true, held), () => this.finish(url, false));
    }
  }

  /** @param {string} url @param {boolean} ok @param {unknown} [held] */
  finish(url, ok, held) {
    this.loading.delete(url);
    this.done.set(url, { ok, held });
    while (this.done.size > this.keep) this.done.delete(/** @type {string} */ (this.done.keys().next().value));
    for (const [target, wants] of [...this.wanted]) {
      if (wants !== url) continue;
      this.wanted.delete(target);
      this.apply(target, url, ok);
    }
    this.pump();
  }
}
