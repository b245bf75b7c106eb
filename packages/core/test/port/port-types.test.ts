/**
 * Port check, typing half: every program of programs/ typechecks under `strict` against
 * the official `mongodb` types (tsconfig.official.json) and, unchanged, against
 * '@mongo-edge/core/node' (tsconfig.ours.json maps 'mongodb' to our Node entry).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

async function typecheck(project: string): Promise<string> {
  try {
    await promisify(execFile)(process.execPath, [TSC, '-p', path.join(HERE, project), '--noEmit'], { cwd: HERE, timeout: 300_000 });
    return '';
  } catch (error) {
    const e = error as { stdout?: string; message: string };
    return e.stdout || e.message;
  }
}

describe('port check: the programs typecheck with both drivers', () => {
  it.each(['tsconfig.official.json', 'tsconfig.ours.json'])('%s', async (project) => {
    expect(await typecheck(project)).toBe('');
  }, 300_000);
});
