/**
 * Bundled by the BSON section (esbuild, browser conditions) and loaded in two worker
 * threads: one with the `Buffer` global (bson's Node path) and one without (bson's web
 * path, what a browser runs). bson picks its byte utilities when it loads, from
 * whether `Buffer` exists, so one bundle serves both.
 */
export * as BSON from 'bson';
export { encodeOpMsg, decodeOpMsg, concatChunks } from '@mongo-edge/core/internal';
