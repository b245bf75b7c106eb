/**
 * FramePool: reuses the buffers of large data frames sent to clients. A fresh buffer of
 * a mebibyte costs its page faults on first write (on a virtual machine with page-table
 * isolation, far more than copying the bytes into memory already mapped); a frame's
 * buffer is free again once `ws` has handed it to the kernel (the send callback), so
 * the next large message reuses it.
 *
 * Bounded: frames under `minBytes` are never pooled (Node's own slab serves them);
 * capacities are powers of two; at most `maxIdleBytes` of idle buffers are kept, the
 * rest are left to the garbage collector. Buffers in flight are bounded by the
 * channel's backpressure (maxBufferedBytes), not by the pool.
 */
import { Buffer } from 'node:buffer';

export interface FramePoolOptions {
  /** Smallest frame taken from the pool (default 64 KiB). */
  readonly minBytes?: number;
  /** Idle bytes kept for reuse, all sizes together (default 8 MiB). */
  readonly maxIdleBytes?: number;
}

export class FramePool {
  readonly #minBytes: number;
  readonly #maxIdleBytes: number;
  /** Idle buffers by capacity. */
  readonly #idle = new Map<number, ArrayBuffer[]>();
  /** Buffers this pool made (only these come back). */
  readonly #own = new WeakSet<ArrayBuffer>();
  #idleBytes = 0;

  constructor(options: FramePoolOptions = {}) {
    this.#minBytes = options.minBytes ?? 64 * 1024;
    this.#maxIdleBytes = options.maxIdleBytes ?? 8 * 1024 * 1024;
  }

  /** Bytes held idle for reuse. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** An uninitialised buffer of exactly `size` bytes (pooled when size >= minBytes). */
  take(size: number): Buffer {
    if (size < this.#minBytes) return Buffer.allocUnsafe(size);
    const capacity = 2 ** Math.ceil(Math.log2(size));
    const idle = this.#idle.get(capacity);
    let ab = idle?.pop();
    if (ab) {
      this.#idleBytes -= capacity;
    } else {
      ab = Buffer.allocUnsafeSlow(capacity).buffer as ArrayBuffer;
      this.#own.add(ab);
    }
    return Buffer.from(ab, 0, size);
  }

  /**
   * `frame` (from take()) is not referenced any more: its buffer may be reused. Frames
   * the pool did not make, and any over the idle limit, are ignored.
   */
  give(frame: Buffer): void {
    const ab = frame.buffer as ArrayBuffer;
    if (!this.#own.has(ab)) return;
    const capacity = ab.byteLength;
    if (this.#idleBytes + capacity > this.#maxIdleBytes) return;
    let idle = this.#idle.get(capacity);
    if (!idle) this.#idle.set(capacity, (idle = []));
    if (idle.includes(ab)) return; // given twice: keep one
    idle.push(ab);
    this.#idleBytes += capacity;
  }
}
