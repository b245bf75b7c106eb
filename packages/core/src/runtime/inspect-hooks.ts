/**
 * The symbols through which runtimes ask a value how to print itself: Node's
 * `util.inspect` (console.log) and Deno's `Deno.inspect`. Registering a method under a
 * `Symbol.for` key is harmless where the runtime does not look, so bson-lite installs
 * both on every value in every runtime; which runtimes look is this folder's knowledge.
 */
export const INSPECT_HOOKS: readonly symbol[] = Object.freeze([Symbol.for('nodejs.util.inspect.custom'), Symbol.for('Deno.customInspect')]);
