// Types of web-bundle-options.mjs, for the TypeScript files that import it (the web client's
// bundle test, bench/sections/bundle.ts): declared once here.
import type { BuildOptions, Metafile, Plugin, build } from 'esbuild';
import type { gzipSync } from 'node:zlib';

export function staticColdPlugin(root: string): Plugin;
export function webBundleOptions(root: string): BuildOptions;
export function webSplitBundleOptions(root: string): BuildOptions;
export const APP_FIXTURE: string;

/** The output files an app loads up front: the entry chunk and the chunks it imports statically. */
export function loadedOutputs(outputs: Metafile['outputs']): Set<string>;

/** What appBundleSize measured: what the app loads before its first operation, and what it leaves for later. */
export interface AppSize {
  /** Output files loaded up front: the entry chunk and the chunks it imports statically. */
  loadedChunks: string[];
  /** Output files reached only through dynamic import() (loaded on first use). */
  lazyChunks: string[];
  loadedMinBytes: number;
  /** The figure of issue 19: each loaded chunk gzipped -9, summed. */
  loadedGzipBytes: number;
  lazyMinBytes: number;
  /** Minified bytes per input module in the loaded chunks. */
  loadedByInput: Record<string, number>;
  metafile: Metafile;
}

export function appBundleSize(root: string, tools: { build: typeof build; gzipSync: typeof gzipSync }, entry?: string): Promise<AppSize>;
