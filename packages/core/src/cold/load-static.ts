/**
 * cold/load.ts for one-file builds (the web client's dist/index.js: scripts/web-bundle-options.mjs
 * resolves load.js here): the cold modules imported statically. A dynamic import() that
 * esbuild must inline wraps every module the cold code reaches in a lazy initializer
 * (measured: +2.3 KB gzip on the one-file bundle); a one-file build loads everything anyway.
 */
import * as cold from './index.js';

export const loadCold = (): Promise<typeof cold> => Promise.resolve(cold);
