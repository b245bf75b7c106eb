/** Child processes the harness starts (TypeScript entries through tsx) and owns until stop(). */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from './harness.js';

export interface TsChild<T> {
  readonly child: ChildProcess;
  /** The first IPC message the child sent (its address). */
  readonly hello: T;
  request<R>(message: object, timeoutMs?: number): Promise<R>;
  stop(): Promise<void>;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Forks bench/lib/<entry> under tsx and waits for its first IPC message. */
export async function forkTs<T>(entry: string, args: string[] = [], options: { exposeGc?: boolean; timeoutMs?: number } = {}): Promise<TsChild<T>> {
  const execArgv = ['--conditions=source', '--import', 'tsx'];
  if (options.exposeGc) execArgv.push('--expose-gc');
  const child = fork(path.join(REPO_ROOT, 'bench/lib', entry), args, {
    cwd: REPO_ROOT,
    execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const hello = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start in time: ${stderr}`)), options.timeoutMs ?? 30_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as T);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}: ${stderr}`));
    });
  }).catch(async (e: unknown) => {
    child.kill('SIGKILL');
    await waitExit(child, 1000);
    throw e;
  });
  return {
    child,
    hello,
    request<R>(message: object, timeoutMs = 30_000): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${entry}: no answer to ${JSON.stringify(message)}`)), timeoutMs);
        child.once('message', (m) => {
          clearTimeout(timer);
          resolve(m as R);
        });
        child.send(message);
      });
    },
    async stop() {
      if (child.connected) child.disconnect();
      await waitExit(child, 5000);
    },
  };
}

/** Spawns a program that listens on `port` and waits until it accepts connections. */
export async function spawnListening(command: string, args: string[], port: number, timeoutMs = 15_000): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${stderr}`)));
  });
  spawnError.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  const stop = async () => {
    child.kill('SIGTERM');
    await waitExit(child, 3000);
  };
  for (;;) {
    const ok = await Promise.race([canConnect(port), spawnError]).catch(async (e: unknown) => {
      await stop();
      throw e;
    });
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} did not listen on ${port} within ${timeoutMs} ms: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, stop };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** A free loopback port (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
