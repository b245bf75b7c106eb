/**
 * The browser bundle's `bson` (scripts/web-bundle-options.mjs aliases `bson` here):
 * bson-lite plus EJSON, which the admin page (examples/browser) uses through
 * `BSON.EJSON`. To ship the codec without EJSON, alias `bson` to ./index.ts instead.
 */
import { BSON as CORE } from './index.js';
import { EJSON } from './ejson.js';

export * from './index.js';
export { EJSON, type EJSONOptions } from './ejson.js';

/**
 * The `bson` package's BSON namespace, EJSON included. Built by an annotated pure call (a
 * spread literal counts as a side effect to esbuild) so an app that never names BSON or
 * EJSON does not bundle EJSON.
 */
export const BSON: typeof CORE & { EJSON: typeof EJSON } = /* @__PURE__ */ Object.assign({}, CORE, { EJSON });
