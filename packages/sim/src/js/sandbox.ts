/**
 * The host side of the JavaScript sandbox: one worker thread per query (js/worker-source.ts),
 * the one owner of that thread. The event loop only awaits its answers, so a `$where` that
 * sleeps or loops never stops the server answering other connections, heartbeats and
 * elections.
 *
 * The thread ends (terminate) when the query ends, and earlier on the query's interrupt
 * signal (killOp, a closed connection, shutdown) or at its maxTimeMS deadline. Its heap and
 * stack are bounded (resourceLimits): a script that allocates without end fails the query,
 * not the server.
 */
import { Script } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { CommandError, ErrorCode } from '../errors.js';
import { encodeDocs } from './js-values.js';
import { WORKER_SOURCE } from './worker-source.js';

/** mongod's internalQueryJavaScriptFnTimeoutMillis (one call there; one batch of documents here). */
export const JS_FUNCTION_TIMEOUT_MS = 60_000;

export interface SandboxLimits {
  readonly functionTimeoutMs: number;
  readonly maxOldGenerationSizeMb: number;
  readonly maxYoungGenerationSizeMb: number;
  readonly stackSizeMb: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = Object.freeze({
  functionTimeoutMs: JS_FUNCTION_TIMEOUT_MS,
  maxOldGenerationSizeMb: 96,
  maxYoungGenerationSizeMb: 16,
  stackSizeMb: 4,
});

/** What may cut an evaluation short. */
export interface Interrupts {
  /** killOp, the connection closing, shutdown. */
  readonly signal: AbortSignal;
  /** maxTimeMS as a time (ms since epoch); Infinity without one. */
  readonly deadline: number;
}

function hasFunctionIdentifier(code: string): boolean {
  return code.length >= 9 && code.startsWith('function') && (code[8] === ' ' || code[8] === '(');
}

/**
 * A `$where` string as mongod's script engine makes it a function: `function ...` as is;
 * a single-line statement without `return` (and at most a trailing `;`) becomes
 * `return <code>`; anything else is the function's body.
 */
export function wrapWhereCode(raw: string): string {
  const code = raw.replace(/^\s+/, '');
  if (hasFunctionIdentifier(code)) return `(${code}\n)`;
  const semi = code.indexOf(';');
  const simple = !code.includes('\n') && !/\breturn\b/.test(code) && (semi === -1 || semi === code.length - 1);
  return `(function () { ${simple ? `return ${code}` : code}\n})`;
}

/** Compiles (without running) a wrapped function: a syntax error is JSInterpreterFailure, as mongod parses `$where`. */
export function checkSyntax(wrapped: string): void {
  try {
    new Script(wrapped);
  } catch (e) {
    const err = e as Error;
    throw new CommandError(ErrorCode.JSInterpreterFailure, `${err?.name ?? 'SyntaxError'}: ${err?.message ?? String(e)}`);
  }
}

interface Reply {
  readonly results?: readonly string[] | null;
  readonly error?: string;
  readonly timeout?: boolean;
}

export class WhereSandbox {
  readonly #worker: Worker;
  #ended: CommandError | undefined;
  #pending: { resolve(r: Reply): void; reject(e: unknown): void } | undefined;

  constructor(codes: readonly string[], limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS) {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { codes, timeoutMs: limits.functionTimeoutMs },
      resourceLimits: { maxOldGenerationSizeMb: limits.maxOldGenerationSizeMb, maxYoungGenerationSizeMb: limits.maxYoungGenerationSizeMb, stackSizeMb: limits.stackSizeMb },
      stdout: true,
      stderr: true,
      env: {},
    });
    // the thread never keeps the process alive: the query that owns it ends it
    this.#worker.unref();
    this.#worker.on('message', (m: Reply) => {
      const p = this.#pending;
      this.#pending = undefined;
      p?.resolve(m);
    });
    this.#worker.on('error', (e: Error & { code?: string }) => {
      this.#fail(
        e?.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new CommandError(ErrorCode.ExceededMemoryLimit, 'Out of memory')
          : new CommandError(ErrorCode.JSInterpreterFailure, `JavaScript execution failed: ${e?.message ?? String(e)}`),
      );
    });
    this.#worker.on('exit', () => this.#fail(new CommandError(ErrorCode.JSInterpreterFailure, 'JavaScript execution ended')));
  }

  #fail(e: CommandError): void {
    this.#ended ??= e;
    const p = this.#pending;
    this.#pending = undefined;
    p?.reject(this.#ended);
  }

  /**
   * The verdicts of every clause for each document (in order), or the query's error:
   * JSInterpreterFailure (a script error or timeout), MaxTimeMSExpired, Interrupted.
   */
  async evaluate(docs: readonly unknown[], clauses: number, interrupts: Interrupts): Promise<boolean[][]> {
    if (this.#ended) throw this.#ended;
    const { signal, deadline } = interrupts;
    if (signal.aborted) throw interrupted();
    if (Date.now() >= deadline) throw maxTimeExpired();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        this.#pending = { resolve, reject };
        onAbort = () => {
          this.#fail(interrupted());
          void this.#worker.terminate();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        if (deadline !== Infinity) {
          timer = setTimeout(() => {
            this.#fail(maxTimeExpired());
            void this.#worker.terminate();
          }, Math.max(0, deadline - Date.now()));
        }
        this.#worker.postMessage({ docs: encodeDocs(docs), count: docs.length });
      });
      if (reply.timeout) throw new CommandError(ErrorCode.JSInterpreterFailure, 'JavaScript execution interrupted: the function ran longer than internalQueryJavaScriptFnTimeoutMillis');
      if (!reply.results) throw new CommandError(ErrorCode.JSInterpreterFailure, reply.error ?? 'JavaScript execution failed');
      return reply.results.map((r) => {
        if (r.startsWith('E')) throw new CommandError(ErrorCode.JSInterpreterFailure, r.slice(1));
        const v: boolean[] = [];
        for (let i = 0; i < clauses; i++) v.push(r[i] === '1');
        return v;
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /** Ends the thread (idempotent). */
  async close(): Promise<void> {
    this.#ended ??= new CommandError(ErrorCode.JSInterpreterFailure, 'JavaScript execution ended');
    await this.#worker.terminate();
  }
}

function interrupted(): CommandError {
  return new CommandError(ErrorCode.Interrupted, 'operation was interrupted');
}

function maxTimeExpired(): CommandError {
  return new CommandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit');
}
