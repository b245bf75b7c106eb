// PyMongo (Debian's pymongo under /usr/bin/python3) runs transactions against a
// three-member mongod-sim set: with_transaction, isolation, a write conflict, an abort.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/pymongo_transactions.py');

function hasPymongo(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import pymongo']);
    return true;
  } catch {
    return false;
  }
}

const available = hasPymongo();
let cluster: Cluster | undefined;

beforeAll(async () => {
  if (available) cluster = await startCluster({ members: 3, replSet: 'pytxn' });
}, 60000);

afterAll(async () => {
  await cluster?.stop();
});

describe.skipIf(!available)('pymongo transactions (skipped: /usr/bin/python3 has no pymongo)', () => {
  it('with_transaction transfers, snapshot isolation, WriteConflict with TransientTransactionError, abort', async () => {
    const out = await new Promise<Record<string, unknown>>((resolve, reject) => {
      execFile(PYTHON, [SCRIPT, cluster!.uri], { timeout: 90000 }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>);
      });
    });
    expect(out).toEqual({
      afterTransfer: { a: 75, b: 25 },
      insideSees: 74,
      outsideSees: 75,
      conflict: { code: 112, transient: true },
      afterAbort: { a: 75, b: 25 },
    });
  }, 120000);
});
