/** A tiny platform-neutral event emitter (no node:events in core). */
export type Listener = (payload: any) => void;

export class TinyEmitter {
  readonly #listeners = new Map<string, Listener[]>();

  on(event: string, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  addListener(event: string, listener: Listener): this {
    return this.on(event, listener);
  }

  once(event: string, listener: Listener): this {
    const wrapped: Listener & { original?: Listener } = (payload) => {
      this.off(event, wrapped);
      listener(payload);
    };
    wrapped.original = listener;
    return this.on(event, wrapped);
  }

  off(event: string, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (!list) return this;
    const i = list.findIndex((l) => l === listener || (l as { original?: Listener }).original === listener);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  removeListener(event: string, listener: Listener): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  listenerCount(event: string): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Calls listeners synchronously; a throwing listener does not stop the others. */
  emit(event: string, payload?: unknown): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const l of [...list]) {
      try {
        l(payload);
      } catch {
        // listeners must not break the driver
      }
    }
    return true;
  }
}
