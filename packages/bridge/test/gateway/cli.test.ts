/**
 * `mongo-edge-bridge --gateway --config gateway.json`: bad configurations exit 2 with
 * every issue named (and never the secrets), a good one starts a gateway whose logs
 * name where secrets come from, not what they are.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '@mongo-edge/sim';
import { main, type CliIo } from '../../src/index.js';
import { JWT_SECRET, gatewayClient, tokenFor } from './support.js';

let dir: string;
let sim: SimHandle;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gateway-cli-'));
  sim = await startSim({ quiet: true });
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function io(env: Record<string, string>) {
  const out = { stdout: '', stderr: '', code: undefined as number | undefined, logs: [] as string[] };
  const cli: CliIo = {
    env,
    stdout: (t) => (out.stdout += t),
    stderr: (t) => (out.stderr += t),
    exit: (c) => (out.code = c),
    signals: false,
    log: (l) => out.logs.push(l),
  };
  return { out, cli };
}

const write = (name: string, config: unknown) => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
};

describe('mongo-edge-bridge --gateway', () => {
  it('needs --config, and exits 2 naming every issue of a bad file', async () => {
    const a = io({});
    expect(await main(['--gateway'], a.cli)).toBeUndefined();
    expect(a.out.code).toBe(2);
    expect(a.out.stderr).toMatch(/--config gateway.json is required/);
    const file = write('bad.json', { cluster: { uri: 'mongodb://inline-is-not-a-source' }, jwt: { issuer: 'i', audience: 'a' }, rules: [{ name: 'x', roles: [], database: 'app', collection: 'c', actions: ['drop'] }] });
    const b = io({});
    await main(['--gateway', '--config', file], b.cli);
    expect(b.out.code).toBe(2);
    expect(b.out.stderr).toMatch(/cluster\.uri/);
    expect(b.out.stderr).toMatch(/jwt/);
    expect(b.out.stderr).toMatch(/rules\.0\.actions/);
  });

  it('a secret named in the config but missing from the environment exits 2 without printing any secret', async () => {
    const file = write('env.json', {
      cluster: { uri: { env: 'GW_URI' } },
      jwt: { secret: { env: 'GW_SECRET' }, issuer: 'i', audience: 'a' },
      rules: [{ name: 'r', roles: ['*'], database: 'app', collection: 'c', actions: ['find'] }],
    });
    const c = io({ GW_SECRET: JWT_SECRET });
    await main(['--gateway', '--config', file], c.cli);
    expect(c.out.code).toBe(2);
    expect(c.out.stderr).toMatch(/environment variable GW_URI is not set/);
    expect(c.out.stderr).not.toContain(JWT_SECRET);
  });

  it('starts a gateway from a file; the logs name the secrets\' sources, never their values', async () => {
    const file = write('good.json', {
      listen: { port: 0 },
      cluster: { uri: { env: 'GW_URI' }, options: { directConnection: true } },
      jwt: { secret: { file: write('secret.txt', JWT_SECRET) }, issuer: 'https://issuer.test', audience: 'notes-app' },
      rules: [{ name: 'own', roles: ['user'], database: 'app', collection: 'cli', actions: ['find', 'insert'], filter: { owner: '%%user.sub' } }],
    });
    const d = io({ GW_URI: `mongodb://${sim.address}/` });
    writeFileSync(path.join(dir, 'secret.txt'), JWT_SECRET + '\n');
    const handle = await main(['--gateway', '--config', file], d.cli);
    expect(handle).toBeDefined();
    const client = gatewayClient(handle!.url, await tokenFor('carol'));
    try {
      await client.db('app').collection('cli').insertOne({ x: 1 });
      expect(await client.db('app').collection('cli').findOne({}, { projection: { _id: 0 } })).toEqual({ x: 1, owner: 'carol' });
    } finally {
      await client.close();
      await handle!.close();
    }
    const logs = d.out.logs.join('\n');
    expect(logs).toContain('env:GW_URI');
    expect(logs).not.toContain(JWT_SECRET);
    expect(logs).not.toContain(sim.address);
  });
});
