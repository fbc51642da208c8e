/**
 * A fixed-capacity FIFO (ring buffer): `push` is O(1) and refuses when full instead of growing, `take` removes up to
 * n items from the head in O(n). The slots of taken items are cleared so spans are not kept alive by the buffer.
 */
export class BoundedQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('BoundedQueue: capacity must be a positive integer');
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Appends; false (and nothing stored) when the queue is full. */
  push(item: T): boolean {
    if (this.size === this.capacity) return false;
    let i = this.head + this.size;
    if (i >= this.capacity) i -= this.capacity;
    this.items[i] = item;
    this.size++;
    return true;
  }

  /** Removes and returns up to `n` items, oldest first. */
  take(n: number): T[] {
    const count = Math.min(n, this.size);
    const out = new Array<T>(count);
    for (let k = 0; k < count; k++) {
      out[k] = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    }
    this.size -= count;
    if (this.size === 0) this.head = 0;
    return out;
  }

  /** Empties the queue; returns how many items were discarded. */
  clear(): number {
    const n = this.size;
    this.take(n);
    return n;
  }
}
