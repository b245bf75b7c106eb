/**
 * Finds specification test files. The runners read `$MONGO_SPECS_DIR` (default
 * `../shared/specs` beside the checkout) and run every `.json` file found below a
 * suite's folder, so they work on any directory of spec files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export function specsDir(): string {
  const env = process.env.MONGO_SPECS_DIR;
  return env ? path.resolve(env) : path.resolve(repoRoot, '../shared/specs');
}

export interface SpecFile {
  /** Path relative to the suite folder, with forward slashes, e.g. "rs/primary_becomes_ghost.json". */
  readonly name: string;
  readonly path: string;
  readonly json: unknown;
}

/** Every .json file below `<specsDir>/<suite>[/<sub>]`, sorted by name. Empty if absent. */
export function findSpecFiles(suite: string, sub?: string): SpecFile[] {
  const base = path.join(specsDir(), suite);
  const dir = sub ? path.join(base, sub) : base;
  if (!existsSync(dir)) return [];
  const out: SpecFile[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) {
        out.push({ name: path.relative(base, p).split(path.sep).join('/'), path: p, json: JSON.parse(readFileSync(p, 'utf8')) });
      }
    }
  };
  walk(dir);
  return out;
}

/** A test not run, and why. Keys are "<file name>" or "<file name>#<test description>". */
export type SkipList = Readonly<Record<string, string>>;

export function skipReason(skips: SkipList, file: string, description?: string): string | undefined {
  return skips[file] ?? (description !== undefined ? skips[`${file}#${description}`] : undefined);
}
