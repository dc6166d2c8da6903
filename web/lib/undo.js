// @ts-check
/**
 * A bounded undo/redo history of serialized states (strings), so a snapshot can never be mutated
 * after it is taken and identical consecutive states are not stored twice.
 */

export const DEFAULT_LIMIT = 100;

export class UndoStack {
  /** @param {string} initial @param {number} [limit] most undo steps kept */
  constructor(initial, limit = DEFAULT_LIMIT) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`undo limit must be >= 1, got ${limit}`);
    this.limit = limit;
    /** @type {string[]} */
    this.past = [];
    /** @type {string[]} */
    this.future = [];
    this.current = initial;
  }

  /** Record a new state; returns false when it equals the current one. @param {string} state */
  push(state) {
    if (state === this.current) return false;
    this.past.push(this.current);
    if (this.past.length > this.limit) this.past.shift();
    this.current = state;
    this.future = [];
    return true;
  }

  get canUndo() { return this.past.length > 0; }

  get canRedo() { return this.future.length > 0; }

  /** The previous state, or null when there is none. */
  undo() {
    const state = this.past.pop();
    if (state === undefined) return null;
    this.future.push(this.current);
    this.current = state;
    return state;
  }

  /** The next state, or null when there is none. */
  redo() {
    const state = this.future.pop();
    if (state === undefined) return null;
    this.past.push(this.current);
    this.current = state;
    return state;
  }
}
