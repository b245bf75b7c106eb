/**
 * Test support: the workerd, Deno and Bun binaries (from the npm packages `workerd`,
 * `deno`, `bun`: devDependencies; a missing binary throws, it never skips), the app
 * bundles (esbuild, as wrangler bundles a Worker: `workerd`/`worker`/`browser`
 * conditions, cloudflare:* external), and a server process we start and stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const rootRequire = createRequire(path.join(root, 'package.json'));

/** The binary a platform package inside `pkg` ships, e.g. workerd -> @cloudflare/workerd-linux-64/bin/workerd. */
function binaryOf(pkg: string, platformPkg: string, file: string): string {
  const pkgDir = path.dirname(rootRequire.resolve(`${pkg}/package.json`));
  let found: string | undefined;
  try {
    found = path.join(path.dirname(createRequire(path.join(pkgDir, 'package.json')).resolve(`${platformPkg}/package.json`)), file);
  } catch {
    found = undefined;
  }
  if (!found || !existsSync(found)) {
    throw new Error(`${pkg}: the binary ${platformPkg}/${file} is not installed (run \`pnpm install\` on linux-x64; this test never skips)`);
  }
  return found;
}

export const workerdBinary = (): string => binaryOf('workerd', '@cloudflare/workerd-linux-64', 'bin/workerd');
export const denoBinary = (): string => binaryOf('deno', '@deno/linux-x64-glibc', 'deno');
export const bunBinary = (): string => binaryOf('bun', '@oven/bun-linux-x64', 'bin/bun');

/** A temporary directory for bundles and configs (removed by the returned cleanup). */
export function workDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mongo-edge-runtimes-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type BundleTarget = 'workerd' | 'deno' | 'bun';

/** Bundles `entry` (a file of this folder) into `<dir>/<name>.mjs`. */
export async function bundle(entry: string, dir: string, target: BundleTarget): Promise<string> {
  const outfile = path.join(dir, `${path.basename(entry, '.ts')}.mjs`);
  await build({
    entryPoints: [path.join(here, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: target === 'bun' ? 'node' : 'neutral',
    mainFields: ['module', 'main'],
    conditions: target === 'workerd' ? ['source', 'workerd', 'worker', 'browser'] : target === 'deno' ? ['source', 'deno', 'browser'] : ['source'],
    external: ['cloudflare:*', 'node:*'],
    logLevel: 'warning',
  });
  return outfile;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface WorkerdOptions {
  /** A Durable Object class the worker exports, bound as `binding` (in-memory storage). */
  durableObject?: { className: string; binding: string };
  /** PEM certificates workerd trusts for outgoing TLS, besides the public CAs. */
  trustedCertificates?: string[];
}

/** A workerd config serving `workerFile` on 127.0.0.1:port with text bindings; outbound to anywhere. */
export function workerdConfig(workerFile: string, port: number, bindings: Record<string, string>, options: WorkerdOptions = {}): string {
  const all = Object.entries(bindings).map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(text)})`);
  const dObj = options.durableObject;
  if (dObj) all.push(`(name = ${JSON.stringify(dObj.binding)}, durableObjectNamespace = ${JSON.stringify(dObj.className)})`);
  const b = all.join(', ');
  const tls = options.trustedCertificates?.length
    ? `, tlsOptions = (trustedCertificates = [${options.trustedCertificates.map((c) => JSON.stringify(c)).join(', ')}])`
    : '';
  const objects = dObj
    ? `durableObjectNamespaces = [ (className = ${JSON.stringify(dObj.className)}, uniqueKey = "mongo-edge-test") ],
  durableObjectStorage = (inMemory = void),`
    : '';
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"]${tls})),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed ${JSON.stringify(path.basename(workerFile))}) ],
  compatibilityDate = "2025-09-01",
  bindings = [ ${b} ],
  ${objects}
  globalOutbound = "internet",
);
`;
}

export interface ServerProcess {
  readonly baseUrl: string;
  /** stdout + stderr so far (for failure messages). */
  output(): string;
  get(pathAndQuery: string): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>;
}

/**
 * Starts `cmd args` and waits until it serves HTTP: on `port` when given, else on the
 * port it prints as "listening <port>".
 */
export async function startServer(cmd: string, args: string[], options: { cwd: string; port?: number; timeoutMs?: number }): Promise<ServerProcess> {
  const child: ChildProcess = spawn(cmd, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let exited: number | string | null | undefined;
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const gone = new Promise<void>((resolve) => child.once('exit', (code, signal) => ((exited = code ?? signal), resolve())));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let port = options.port;
  for (;;) {
    if (exited !== undefined) throw new Error(`${path.basename(cmd)} exited (${exited}) before serving:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${path.basename(cmd)} did not start serving in time:\n${out}`);
    }
    port ??= Number(/listening (\d+)/.exec(out)?.[1]) || undefined;
    if (port) {
      const ok = await fetch(`http://127.0.0.1:${port}/ping`).then(
        () => true,
        () => false,
      );
      if (ok) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    output: () => out,
    async get(p) {
      const res = await fetch(baseUrl + p);
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = { raw: text };
      }
      return { status: res.status, body };
    },
    async stop() {
      if (process.env.DEBUG_WORKERD_LOG) writeFileSync(`${process.env.DEBUG_WORKERD_LOG}-${port}.log`, out);
      if (exited === undefined) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(t);
      }
    },
  };
}

/** Writes the workerd config for `workerFile` and starts workerd on a free port. */
export async function startWorkerd(workerFile: string, dir: string, bindings: Record<string, string>, options: WorkerdOptions = {}): Promise<ServerProcess> {
  const port = await freePort();
  const config = path.join(dir, `config-${port}.capnp`);
  writeFileSync(config, workerdConfig(workerFile, port, bindings, options));
  // Debugging aid: DEBUG_WORKERD_ARGS="--verbose" adds flags; DEBUG_WORKERD_LOG=/tmp/x keeps the output (stop()).
  const extra = process.env.DEBUG_WORKERD_ARGS?.split(' ').filter(Boolean) ?? [];
  return startServer(workerdBinary(), ['serve', config, '--experimental', ...extra], { cwd: dir, port });
}
