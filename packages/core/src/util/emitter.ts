/**
 * The one event emitter of core (no node:events, so core stays platform-neutral),
 * typed by an event map (event name -> payload type):
 *
 *   type Events = { connectionCreated: ConnectionCreatedEvent; closed: void };
 *   const e = new TypedEmitter<Events>();
 *   e.on('connectionCreated', (ev) => ...);
 *   e.emit('connectionCreated', { ... });
 *   e.off('connectionCreated', listener);
 *
 * Its semantics are Node's EventEmitter's, as the official driver's TypedEventEmitter
 * (a Node EventEmitter) has them:
 * - listeners run synchronously, in registration order, over a snapshot of the list
 *   (adding or removing listeners during an emit affects the next emit);
 * - a listener that throws ends the emit: the error propagates to the caller of
 *   emit() and the remaining listeners are not called. (So a throwing
 *   `commandStarted` listener fails the operation, as in the official driver.)
 * - `on`, `once`, `off` return the emitter; `off` removes the most recently added
 *   registration of the listener, including one made with `once`.
 * Events named in the map are typed; any other name is accepted with an untyped
 * listener, as the official driver's overloads do.
 */

/** The listener of an event whose payload is `T` (no argument for `void`). */
export type Listener<T> = [T] extends [void] ? () => void : (payload: T) => void;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GenericListener = (...args: any[]) => void;

type EventName<Events> = keyof Events & string;
type EmitArgs<T> = [T] extends [void] ? [] : [payload: T];
type OnceWrapper = GenericListener & { listener?: GenericListener };

export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<string, GenericListener[]>();

  /** Adds a listener (after the others). */
  on<K extends EventName<Events>>(event: K, listener: Listener<Events[K]>): this;
  on(event: string, listener: GenericListener): this;
  on(event: string, listener: GenericListener): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  addListener<K extends EventName<Events>>(event: K, listener: Listener<Events[K]>): this;
  addListener(event: string, listener: GenericListener): this;
  addListener(event: string, listener: GenericListener): this {
    return this.on(event, listener);
  }

  /** Adds a listener that is removed before its first call. */
  once<K extends EventName<Events>>(event: K, listener: Listener<Events[K]>): this;
  once(event: string, listener: GenericListener): this;
  once(event: string, listener: GenericListener): this {
    const wrapper: OnceWrapper = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  /** Removes the most recently added registration of `listener` (by on or once). */
  off<K extends EventName<Events>>(event: K, listener: Listener<Events[K]>): this;
  off(event: string, listener: GenericListener): this;
  off(event: string, listener: GenericListener): this {
    const list = this.#listeners.get(event);
    if (!list) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      const l = list[i]!;
      if (l === listener || (l as OnceWrapper).listener === listener) {
        list.splice(i, 1);
        break;
      }
    }
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  removeListener<K extends EventName<Events>>(event: K, listener: Listener<Events[K]>): this;
  removeListener(event: string, listener: GenericListener): this;
  removeListener(event: string, listener: GenericListener): this {
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

  /**
   * Calls every listener of `event` in order; returns whether there were any. A
   * listener's exception propagates from here (the later listeners are not called).
   */
  emit<K extends EventName<Events>>(event: K, ...args: EmitArgs<Events[K]>): boolean;
  emit(event: string, payload?: unknown): boolean;
  emit(event: string, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const l of [...list]) l(...args);
    return true;
  }
}
