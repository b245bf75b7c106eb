/**
 * A small typed event emitter (no node:events, so core stays platform-neutral).
 *
 *   type Events = { connectionCreated: ConnectionCreatedEvent; closed: void };
 *   const e = new TypedEmitter<Events>();
 *   const off = e.on('connectionCreated', (ev) => ...);
 *   e.emit('connectionCreated', { ... });
 *   off();
 *
 * Listeners run synchronously in registration order. A listener that throws does
 * not stop the others: the error is reported through `onListenerError` (default:
 * rethrown from a microtask so it surfaces as an unhandled error, not a silent loss).
 */

/** Maps event name to payload type; `void` for events without a payload. */
export type EventMap = { [event: string]: unknown };

export type Listener<T> = [T] extends [void] ? () => void : (payload: T) => void;

type AnyListener = (payload?: unknown) => void;

export class TypedEmitter<Events extends EventMap> {
  readonly #listeners = new Map<keyof Events, AnyListener[]>();
  /** Called when a listener throws; replace to log or collect. */
  onListenerError: (error: unknown, event: keyof Events) => void = (error) => {
    queueMicrotask(() => {
      throw error;
    });
  };

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const list = this.#listeners.get(event);
    if (list) list.push(listener as AnyListener);
    else this.#listeners.set(event, [listener as AnyListener]);
    return () => this.off(event, listener);
  }

  /** Removes one registration of `listener` (the latest added). */
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const list = this.#listeners.get(event);
    if (!list) return this;
    const target = listener as AnyListener;
    for (let i = list.length - 1; i >= 0; i--) {
      const l = list[i]!;
      if (l === target || (l as OnceWrapper).listener === target) {
        list.splice(i, 1);
        break;
      }
    }
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  /** Adds a listener that is removed before its first call. */
  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const wrapper: OnceWrapper = (payload?: unknown) => {
      this.off(event, wrapper as unknown as Listener<Events[K]>);
      (listener as AnyListener)(payload);
    };
    wrapper.listener = listener as AnyListener;
    return this.on(event, wrapper as unknown as Listener<Events[K]>);
  }

  /** Calls every listener of `event` in order; returns whether there were any. */
  emit<K extends keyof Events>(event: K, ...args: [Events[K]] extends [void] ? [] : [payload: Events[K]]): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const l of [...list]) {
      try {
        l(args[0]);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
    return true;
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  removeAllListeners(event?: keyof Events): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }
}

type OnceWrapper = AnyListener & { listener?: AnyListener };
