/**
 * Request scopes (Cloudflare Workers): which request is being served, told apart by probes
 * the runtime binds to the request that made them (see request-scope.ts for the exception
 * this is about). The cloudflare transport imports this module; the bridge transport loads
 * it with the cold code (cold/index.ts) on its first ioScope() call, so browsers never load it.
 */
import { isForeignRequestIoError, requestScopesAvailable } from './request-scope.js';
import { monotonicNow } from '../util/clock.js';
import { sleep } from '../util/sleep.js';

/**
 * A request-scope token. workerd binds native streams to the request that made them,
 * like sockets, and refuses them to any other; an IdentityTransformStream (a workerd
 * global, feature-detected) costs no network, so one byte written through it and read
 * back answers "is this still the request our sockets belong to?" without touching a
 * MongoDB connection (an empty write to a socket is not checked, and a non-empty one
 * would reach the server). Elsewhere `create()` gives undefined: no request scopes.
 */
interface IdentityTransformStreamLike {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}
type IdentityTransformStreamCtor = new () => IdentityTransformStreamLike;

const ONE_BYTE = new Uint8Array(1);

/** A probe check (a one-byte pipe, no network) still in flight after this long never ends. */
const STUCK_CHECK_MS = 2000;

export class RequestScopeProbe {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  private constructor(stream: IdentityTransformStreamLike) {
    this.#writer = stream.writable.getWriter();
    this.#reader = stream.readable.getReader();
  }

  /** A probe bound to the current request, or undefined outside workerd. */
  static create(): RequestScopeProbe | undefined {
    if (!requestScopesAvailable()) return undefined;
    const Ctor = (globalThis as { IdentityTransformStream?: IdentityTransformStreamCtor }).IdentityTransformStream!;
    return new RequestScopeProbe(new Ctor());
  }

  /** A check (write and read) is in flight: plain state, readable from any request. */
  #busy = false;
  /** A check stayed in flight too long (STUCK_CHECK_MS): the probe answers "foreign" to everyone. */
  #retired = false;

  /**
   * True when the runtime refuses this probe to the current request. One check at a time,
   * and a caller that finds one in flight waits on a timer of its own, never on the check's
   * promise: the check may be another request's, and a request that awaits a promise another
   * request settles continues in THAT request's context in workerd (its probe write is then
   * accepted as that request's, all its later I/O counts as that request's, and its own
   * request, left with nothing pending, is canceled as hung). Nor may it write meanwhile:
   * a write queued behind the check's is not refused at once but later, in the owner's turn
   * (accepted), and the read that follows errors the probe for good.
   */
  async foreign(): Promise<boolean> {
    const waitingSince = monotonicNow();
    while (this.#busy && !this.#retired) {
      // A check that never ends: its request ended in the middle of it (a monitor's connect
      // after the response), so its byte is never read. The probe is of no use to anyone now.
      if (monotonicNow() - waitingSince > STUCK_CHECK_MS) this.#retired = true;
      else await sleep(1);
    }
    if (this.#retired) return true;
    this.#busy = true;
    try {
      return await this.#check();
    } finally {
      this.#busy = false;
    }
  }

  /**
   * The write first, alone: workerd rejects a write from another request at once (the
   * promise write() returns is already rejected) when no other write is queued, and the
   * stream stays usable for its own request, whereas a refused read errors the stream for
   * good (its own request would then look foreign too, and every check would make a new
   * scope). So the read goes out only when the write was not refused: in the probe's own
   * request, where the write settles once the byte is read (no buffering).
   */
  async #check(): Promise<boolean> {
    try {
      const written = this.#writer.write(ONE_BYTE);
      let refused: { error: unknown } | undefined;
      written.catch((error: unknown) => (refused = { error }));
      // One microtask turn: the reaction above runs first when the write was rejected at once.
      await Promise.resolve();
      if (refused) return isForeignRequestIoError(refused.error);
      const read = this.#reader.read();
      read.catch(() => undefined);
      await Promise.all([written, read]);
      return false;
    } catch (error) {
      return isForeignRequestIoError(error);
    }
  }
}

/**
 * Scopes remembered, most recently confirmed first; the last is forgotten (its request is
 * long over). A scope its own request confirms moves to the front, so a long request (a
 * write loop) outlives any number of short ones that come and go meanwhile.
 */
const MAX_KNOWN_SCOPES = 8;

/**
 * The current request's scope token for Transport.ioScope(): the token of the first
 * remembered probe the runtime accepts, else a new one (with a new probe). Calls made
 * at once while serving one new request agree on one token: a token is made only when
 * no probe made meanwhile is left unchecked. Outside workerd: one token for everything.
 */
export class RequestScopes {
  readonly #known: Array<{ readonly token: object; readonly probe: RequestScopeProbe }> = [];
  readonly #unscoped = {};

  async current(): Promise<object> {
    const checked = new Set<object>();
    for (;;) {
      const unchecked = this.#known.filter((k) => !checked.has(k.token));
      if (unchecked.length === 0) break;
      for (const known of unchecked) {
        checked.add(known.token);
        if (!(await known.probe.foreign())) {
          const at = this.#known.indexOf(known);
          if (at > 0) this.#known.unshift(...this.#known.splice(at, 1));
          return known.token;
        }
      }
    }
    const probe = RequestScopeProbe.create();
    if (!probe) return this.#unscoped;
    const token = {};
    this.#known.unshift({ token, probe });
    if (this.#known.length > MAX_KNOWN_SCOPES) this.#known.length = MAX_KNOWN_SCOPES;
    return token;
  }
}
