/**
 * The browser bundle's `bson` (scripts/web-bundle-options.mjs aliases `bson` here):
 * bson-lite plus EJSON, which the admin page (examples/browser) uses through
 * `BSON.EJSON`. To ship the codec without EJSON, alias `bson` to ./index.ts instead.
 */
import { BSON as CORE } from './index.js';
import { EJSON } from './ejson.js';

export * from './index.js';
export { EJSON, type EJSONOptions } from './ejson.js';

/** The `bson` package's BSON namespace, EJSON included. */
export const BSON = { ...CORE, EJSON };
