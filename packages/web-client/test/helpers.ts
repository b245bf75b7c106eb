/**
 * Shared by the web-client tests: paths, building the browser bundle with the
 * repository's own build (scripts/build.mjs) once per test process, and a lock so
 * parallel test files never read a half-written dist/index.js.
 */
import type { Browser } from 'playwright-core';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const WEB_DIR = path.join(ROOT, 'packages/web-client');
export const BUNDLE = path.join(WEB_DIR, 'dist/index.js');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

const LOCK = path.join(ROOT, '.tmp/web-client-build.lock');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs fn while holding the build lock (scripts/build.mjs writes, packing reads dist/). */
export async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock left by a crashed run is stale after two minutes.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // gone already
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK}`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

let built: Promise<string> | undefined;

/** Runs scripts/build.mjs (once per process) and returns the bundle's text. */
export function buildBundle(): Promise<string> {
  built ??= withLock(async () => {
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--no-types'], { cwd: ROOT, timeout: 120_000 });
    return readFileSync(BUNDLE, 'utf8');
  });
  return built;
}

/** The split build (dist/esm-split/, written by the same build): a private copy in `into`, returned. */
export async function copySplitBuild(into: string): Promise<string> {
  await buildBundle();
  return withLock(async () => {
    cpSync(path.join(WEB_DIR, 'dist/esm-split'), into, { recursive: true });
    return into;
  });
}

export function artifactsDir(): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

/** Debian's Chromium (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium as the browser tests run it: the flags keep it off the network this
 * machine does not have (background networking, component updates, sync); playwright gives
 * every launch a fresh temporary profile, removed on close.
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
