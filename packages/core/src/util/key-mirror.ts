/**
 * A frozen `{ name: 'name', ... }` object (the house's `as const` enum where every value
 * equals its key), written once per name:
 *
 *   export const PoolState = keyMirror('paused', 'ready', 'closed');
 *   export type PoolState = (typeof PoolState)[keyof typeof PoolState];
 */
export function keyMirror<const K extends string>(...keys: K[]): { readonly [P in K]: P } {
  return Object.freeze(Object.fromEntries(keys.map((k) => [k, k]))) as { readonly [P in K]: P };
}
