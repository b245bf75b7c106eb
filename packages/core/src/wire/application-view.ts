/**
 * A reply decoded a second time with the application's BSON options (client/
 * bson-options.ts), kept beside the driver's own decode under a symbol, so the
 * driver keeps reading `ok`, `n`, cursor ids and error codes with the defaults.
 */
import type { Document } from '../errors.js';

const APPLICATION_VIEW = Symbol('mongo-edge.applicationView');

/** Attaches `view` to `reply` (not enumerable: monitoring and logs see the reply as it was). */
export function attachApplicationView(reply: Document, view: Document): void {
  Object.defineProperty(reply, APPLICATION_VIEW, { value: view, enumerable: false });
}

/** The reply as the application asked to decode it; the reply itself when it asked for the defaults. */
export function applicationView(reply: Document): Document {
  return ((reply as Record<symbol, unknown>)[APPLICATION_VIEW] as Document | undefined) ?? reply;
}
