/**
 * spawnSim(): runs `mongod-sim` as a child process on a free port and resolves once
 * it prints its readiness line. From source (vitest, tsx) the child runs
 * src/cli-run.ts under tsx; from the bundle it runs bin/mongod-sim.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface SpawnSimOptions {
  /** Give up waiting for the readiness line after this long (default 20 s). */
  timeoutMs?: number;
  /** Receives every stdout/stderr line of the child (default: dropped). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface SpawnedSim {
  readonly port: number;
  readonly host: string;
  readonly uri: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the child has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** Sends a signal (default SIGTERM); does not wait. */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then waits for exit (SIGKILL after 5 s). Resolves with the exit code. */
  stop(): Promise<number | NodeJS.Signals>;
}

/** The readiness line's msg; the line is mongod's JSON log format with attr.port / attr.host. */
export const READY_MSG = 'Waiting for connections';

/** Parses a readiness line; undefined for any other line. */
export function parseReadyLine(line: string): { port: number; host: string } | undefined {
  if (!line.startsWith('{') || !line.includes(READY_MSG)) return undefined;
  try {
    const j = JSON.parse(line) as { msg?: string; attr?: { port?: number; host?: string } };
    if (j.msg !== READY_MSG || typeof j.attr?.port !== 'number') return undefined;
    return { port: j.attr.port, host: j.attr.host ?? '127.0.0.1' };
  } catch {
    return undefined;
  }
}

let sourceBundle: Promise<string | undefined> | undefined;

/**
 * From source, the CLI is bundled once per parent process with esbuild (tsx's own copy)
 * into a temp file: a child then starts in a fraction of the time tsx needs to compile
 * the sources on every start (replica set tests start and restart many processes).
 * Falls back to tsx when esbuild cannot be loaded. MONGOD_SIM_NO_BUNDLE=1 disables it.
 */
function bundleFromSource(dir: string): Promise<string | undefined> {
  return (sourceBundle ??= (async () => {
    if (process.env.MONGOD_SIM_NO_BUNDLE === '1') return undefined;
    try {
      const req = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
      const esbuild = (await import(pathToFileURL(req.resolve('esbuild')).href)) as typeof import('esbuild');
      const res = await esbuild.build({
        entryPoints: [path.join(dir, 'cli-run.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        conditions: ['source'],
        write: false,
        minifyWhitespace: true,
        minifySyntax: true,
        logLevel: 'silent',
        banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      });
      const code = res.outputFiles[0]!.contents;
      // cached by content: no cleanup needed, one file per version of the sources
      const outDir = path.join(os.tmpdir(), 'mongod-sim-bundles');
      mkdirSync(outDir, { recursive: true });
      const outfile = path.join(outDir, `cli-run-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
      if (!existsSync(outfile)) {
        const tmp = `${outfile}.${process.pid}.tmp`;
        writeFileSync(tmp, code);
        renameSync(tmp, outfile);
      }
      return outfile;
    } catch {
      return undefined;
    }
  })());
}

async function command(): Promise<string[]> {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  if (here.endsWith('.ts')) {
    const bundled = await bundleFromSource(dir);
    if (bundled) return [bundled];
    const req = createRequire(import.meta.url);
    const tsxDir = path.dirname(req.resolve('tsx/package.json'));
    return ['--conditions=source', '--import', pathToFileURL(path.join(tsxDir, 'dist/loader.mjs')).href, path.join(dir, 'cli-run.ts')];
  }
  const bin = path.resolve(dir, '../bin/mongod-sim.js');
  if (!existsSync(bin)) throw new Error(`mongod-sim binary not found at ${bin}`);
  return [bin];
}

export async function spawnSim(args: readonly string[] = [], options: SpawnSimOptions = {}): Promise<SpawnedSim> {
  const argv = [...args];
  if (!argv.some((a) => a === '--port' || a.startsWith('--port='))) argv.push('--port', '0');
  const child = spawn(process.execPath, [...(await command()), ...argv], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const ready = new Promise<{ port: number; host: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mongod-sim did not become ready within ${options.timeoutMs ?? 20000} ms`)), options.timeoutMs ?? 20000);
    let stderr = '';
    const lines = (stream: 'stdout' | 'stderr') => {
      let buf = '';
      return (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          options.onLine?.(line, stream);
          if (stream === 'stderr') stderr += `${line}\n`;
          const r = stream === 'stdout' ? parseReadyLine(line) : undefined;
          if (r) {
            clearTimeout(timer);
            resolve(r);
          }
        }
      };
    };
    child.stdout!.on('data', lines('stdout'));
    child.stderr!.on('data', lines('stderr'));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mongod-sim exited (${String(code)}) before it was ready: ${stderr.trim()}`));
    });
  });
  let r: { port: number; host: string };
  try {
    r = await ready;
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const stop = async (): Promise<number | NodeJS.Signals> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(t);
      return code;
    }
    return exited;
  };
  return {
    port: r.port,
    host: r.host,
    uri: `mongodb://${r.host}:${r.port}/`,
    process: child,
    exited,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      child.kill(signal);
    },
    stop,
  };
}
