// --keyFile: validation as mongod does it, and `__system@local` accepted with the key.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { spawnSim, startSim, type SimHandle } from '../src/index.js';
import { INTERNAL_DB, INTERNAL_USER, internalCredentials, KeyFileError, loadKeyFile, parseKeyFile } from '../src/auth/keyfile.js';
import { authOf } from '../src/auth/sim-auth.js';
import { authenticateInternal, InternalAuthError } from '../src/auth/internal-client.js';
import { PeerClient } from '../src/repl/peer.js';

const KEY = 'c2ltLWtleWZpbGUtZm9yLXRlc3RzLW9ubHk0Mg';
let dir: string;

function keyFile(name: string, contents: string, mode: number): string {
  const p = path.join(dir, name);
  writeFileSync(p, contents);
  chmodSync(p, mode);
  return p;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sim-keyfile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadKeyFile / parseKeyFile', () => {
  it('strips whitespace and keeps base64 characters', () => {
    expect(parseKeyFile(`  ${KEY.slice(0, 10)}\n${KEY.slice(10)}\n`)).toBe(KEY);
    expect(parseKeyFile('abc+/9')).toBe('abc+/9');
  });

  it('refuses keys shorter than 6 or longer than 1024 characters, and non-base64 characters (= included)', () => {
    expect(() => parseKeyFile('abcde', '/k')).toThrow(new KeyFileError('security key in /k has length 5, must be between 6 and 1024 chars'));
    expect(() => parseKeyFile('a'.repeat(1025), '/k')).toThrow(/length 1025/);
    expect(() => parseKeyFile('abcdef==', '/k')).toThrow('invalid char in key file /k: =');
    expect(() => parseKeyFile('abc-def', '/k')).toThrow('invalid char in key file /k: -');
  });

  it.skipIf(process.platform === 'win32')('refuses a file readable by group or others', () => {
    const open = keyFile('open.key', KEY, 0o644);
    expect(() => loadKeyFile(open)).toThrow(`permissions on ${open} are too open`);
    expect(() => loadKeyFile(keyFile('group.key', KEY, 0o640))).toThrow(/are too open/);
    expect(loadKeyFile(keyFile('ok.key', `${KEY}\n`, 0o600))).toBe(KEY);
    expect(loadKeyFile(keyFile('ro.key', KEY, 0o400))).toBe(KEY);
    expect(() => loadKeyFile(path.join(dir, 'missing.key'))).toThrow(KeyFileError);
  });

  it('internalCredentials: __system on local with the key as the password', () => {
    expect(internalCredentials(KEY)).toEqual({ username: '__system', password: KEY, source: 'local', mechanism: 'SCRAM-SHA-256' });
  });
});

describe('a --keyFile node', () => {
  let sim: SimHandle;
  beforeAll(async () => {
    sim = await startSim({ port: 0, keyFile: keyFile('node.key', KEY, 0o600) });
  });
  afterAll(async () => {
    await sim?.close();
  });

  const uri = (key: string, mechanism: string): string =>
    `mongodb://${INTERNAL_USER}:${encodeURIComponent(key)}@${sim.address}/?authSource=${INTERNAL_DB}&authMechanism=${mechanism}`;

  it('implies --auth and exposes the credentials its internal clients use', async () => {
    const auth = authOf(sim.node);
    expect(auth.enabled).toBe(true);
    expect(auth.internalCredentials).toEqual(internalCredentials(KEY));
    const anon = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 3000 });
    try {
      await expect(anon.db('t').collection('c').findOne()).rejects.toMatchObject({ code: 13 });
    } finally {
      await anon.close();
    }
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-1'])('accepts __system@local with the key (%s), refuses another key', async (mechanism) => {
    const good = new MongoClient(uri(KEY, mechanism), { serverSelectionTimeoutMS: 3000 });
    const bad = new MongoClient(uri(`${KEY}x`, mechanism), { serverSelectionTimeoutMS: 3000 });
    try {
      expect((await good.db('admin').command({ connectionStatus: 1 })).authInfo.authenticatedUsers).toEqual([{ user: '__system', db: 'local' }]);
      await good.db('t').collection('c').insertOne({ internal: true });
      await expect(bad.db('admin').command({ ping: 1 })).rejects.toMatchObject({ code: 18 });
    } finally {
      await good.close();
      await bad.close();
    }
  });

  it('a member connection (PeerClient) is refused until authenticateInternal runs on it', async () => {
    const creds = authOf(sim.node).internalCredentials!;
    const peer = new PeerClient(sim.address);
    try {
      expect(await peer.command({ find: 'c', $db: 't' }, 3000)).toMatchObject({ ok: 0, code: 13 });
      await authenticateInternal((cmd) => peer.command(cmd, 3000), creds);
      expect(await peer.command({ find: 'c', $db: 't' }, 3000)).toMatchObject({ ok: 1 });
      expect(await peer.command({ connectionStatus: 1 }, 3000)).toMatchObject({ authInfo: { authenticatedUsers: [{ user: '__system', db: 'local' }] } });
    } finally {
      peer.close();
    }
    const wrong = new PeerClient(sim.address);
    try {
      await expect(authenticateInternal((cmd) => wrong.command(cmd, 3000), internalCredentials(`${KEY}zz`))).rejects.toThrow(InternalAuthError);
      expect(await wrong.command({ find: 'c', $db: 't' }, 3000)).toMatchObject({ ok: 0, code: 13 });
    } finally {
      wrong.close();
    }
  });

  it('never stores __system in admin.system.users', () => {
    expect(authOf(sim.node).storedUsers()).toEqual([]);
  });
});

describe('mongod-sim --keyFile (process)', () => {
  const cliRun = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli-run.ts');

  it.skipIf(process.platform === 'win32')('exits 1 with mongod\'s message when the keyfile is too open', () => {
    const open = keyFile('cli-open.key', KEY, 0o644);
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', cliRun, '--port', '0', '--keyFile', open], { encoding: 'utf8', timeout: 20000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`permissions on ${open} are too open`);
  });

  it('starts with a valid keyfile and accepts __system', async () => {
    const child = await spawnSim(['--keyFile', keyFile('cli-ok.key', KEY, 0o600)]);
    const c = new MongoClient(`mongodb://__system:${KEY}@127.0.0.1:${child.port}/?authSource=local`, { serverSelectionTimeoutMS: 3000 });
    try {
      expect(await c.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
      const opts = await c.db('admin').command({ getCmdLineOpts: 1 });
      expect(opts.parsed.security.keyFile).toContain('cli-ok.key');
    } finally {
      await c.close();
      await child.stop();
    }
  });
});
