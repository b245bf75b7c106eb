import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verify } from 'hono/jwt';
import { BridgeConfigError, DEFAULTS, main, parseCliConfig, validateConfig, type CliIo } from '../src/index.js';

function io(env: Record<string, string> = {}): CliIo & { out: string; err: string; code: number | undefined } {
  const r = {
    env,
    out: '',
    err: '',
    code: undefined as number | undefined,
    signals: false,
    log: () => undefined,
    stdout(t: string) {
      r.out += t;
    },
    stderr(t: string) {
      r.err += t;
    },
    exit(c: number) {
      r.code = c;
    },
  };
  return r;
}

const issuesOf = (fn: () => unknown): readonly string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof BridgeConfigError) return e.issues;
    throw e;
  }
  throw new Error('expected a BridgeConfigError');
};

describe('configuration', () => {
  it('applies defaults', () => {
    const c = validateConfig({ allow: ['db:27017'], tokens: ['0123456789abcdef'] });
    expect(c).toMatchObject({
      port: DEFAULTS.port,
      host: '127.0.0.1',
      maxMessageSize: 48_000_000,
      maxChannelsPerSocket: 100,
      maxSocketsPerIp: 100,
      maxBufferedBytes: 4 * 1024 * 1024,
      origins: [],
      requireTargetTls: false,
    });
  });

  it('names the flag in every validation error', () => {
    expect(issuesOf(() => parseCliConfig(['--port', 'abc', '--allow', 'db:27017', '--no-auth'], {}))[0]).toMatch(/^--port: /);
    expect(issuesOf(() => parseCliConfig(['--allow', 'db', '--no-auth'], {}))[0]).toMatch(/^--allow: expected host:port/);
    expect(issuesOf(() => parseCliConfig(['--allow', 'db:27017'], {}))[0]).toMatch(/no authentication configured/);
    expect(issuesOf(() => parseCliConfig(['--no-auth'], {}))[0]).toMatch(/no targets allowed/);
    expect(issuesOf(() => parseCliConfig(['--no-auth', '--seeds', 'mongodb+srv://x.example.com'], {}))[0]).toMatch(/^--seeds: .*mongodb\+srv/);
    expect(issuesOf(() => parseCliConfig(['--no-auth', '--allow', 'db:1', '--jwt-secret', 'short'], {}))[0]).toMatch(/^--jwt-secret: must be at least 32/);
    expect(issuesOf(() => parseCliConfig(['--no-auth', '--allow', 'db:1', '--origin', 'evil'], {}))[0]).toMatch(/^--origin: /);
    expect(issuesOf(() => parseCliConfig(['--no-auth', '--allow', 'db:1', '--max-buffered-bytes', '10'], {}))[0]).toMatch(/^--max-buffered-bytes: /);
    expect(issuesOf(() => parseCliConfig(['--no-auth', '--allow', 'db:1', '--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.key'], {}))[0]).toMatch(/^--tls-cert: cannot read/);
    expect(issuesOf(() => parseCliConfig(['--bogus'], {}))[0]).toMatch(/Unknown option '--bogus'/);
  });

  it('reads MONGO_EDGE_BRIDGE_* variables; flags win', () => {
    const { config } = parseCliConfig(['--port', '9000'], {
      MONGO_EDGE_BRIDGE_PORT: '7000',
      MONGO_EDGE_BRIDGE_ALLOW: 'a:27017, b:27018',
      MONGO_EDGE_BRIDGE_TOKEN: '0123456789abcdef0123',
      MONGO_EDGE_BRIDGE_REQUIRE_TARGET_TLS: 'true',
      MONGO_EDGE_BRIDGE_MAX_MESSAGE_SIZE: '1000000',
    });
    expect(config).toMatchObject({ port: 9000, allow: ['a:27017', 'b:27018'], tokens: ['0123456789abcdef0123'], requireTargetTls: true, maxMessageSize: 1_000_000 });
  });

  it('main: exit 2 with a clear message on bad config, 0 on --help', async () => {
    const bad = io();
    expect(await main(['--port', '99999', '--allow', 'db:27017', '--no-auth'], bad)).toBeUndefined();
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('invalid bridge configuration');
    expect(bad.err).toContain('--port');
    const help = io();
    await main(['--help'], help);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--max-buffered-bytes');
    expect(help.out).toContain('mongo-edge-bridge token --jwt-secret');
  });

  it('main: starts a bridge from flags', async () => {
    const r = io();
    const handle = await main(['--port', '0', '--allow', '127.0.0.1:27017', '--token', '0123456789abcdef0123'], r);
    expect(handle).toBeDefined();
    try {
      const res = await fetch(`${handle!.httpUrl}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      await handle!.close();
    }
    expect(r.code).toBeUndefined();
  });

  it('main token: prints an HS256 token with exp', async () => {
    const secret = 'x'.repeat(40);
    const r = io();
    await main(['token', '--jwt-secret', secret, '--ttl', '60', '--sub', 'svc', '--allow', 'db:27017'], r);
    expect(r.code).toBe(0);
    const payload = await verify(r.out.trim(), secret, 'HS256');
    expect(payload).toMatchObject({ sub: 'svc', allow: ['db:27017'] });
    expect(payload.exp).toBeGreaterThan(Date.now() / 1000);
    const bad = io();
    await main(['token', '--jwt-secret', 'short'], bad);
    expect(bad.code).toBe(2);
  });

  it('the CLI shuts down gracefully on SIGTERM (exit 0)', async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '-e', "import('./packages/bridge/src/cli.ts').then((m) => m.main(process.argv.slice(1)))", '--', '--port', '0', '--allow', '127.0.0.1:27017', '--no-auth'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const start = Date.now();
    while (!out.includes('bridge.listening')) {
      if (Date.now() - start > 20_000) {
        child.kill('SIGKILL');
        throw new Error(`bridge did not start: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const events = out.trim().split('\n').map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events).toContain('bridge.shutdown');
    expect(events.at(-1)).toBe('bridge.closed');
  });
});
