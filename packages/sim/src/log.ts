/** mongod-style structured log lines: {"t":{"$date":...},"s":"I","c":"NETWORK","id":...,"ctx":...,"msg":...,"attr":{...}} */
import { appendFileSync } from 'node:fs';

export interface LogSink {
  (line: string): void;
}

export interface LoggerOptions {
  /** Where lines go; default: nowhere (the library is silent unless asked). */
  sink?: LogSink;
  /** --quiet: drop connection accept/end and client metadata lines. */
  quiet?: boolean;
}

export class Logger {
  constructor(private readonly opts: LoggerOptions = {}) {}

  log(component: string, id: number, ctx: string, msg: string, attr?: Record<string, unknown>, opts: { chatty?: boolean; severity?: string } = {}): void {
    if (!this.opts.sink) return;
    if (opts.chatty && this.opts.quiet) return;
    this.opts.sink(formatLogLine(component, id, ctx, msg, attr, opts.severity));
  }
}

export function formatLogLine(component: string, id: number, ctx: string, msg: string, attr?: Record<string, unknown>, severity = 'I'): string {
  const line: Record<string, unknown> = { t: { $date: new Date().toISOString() }, s: severity, c: component, id, ctx, msg };
  if (attr) line.attr = attr;
  return JSON.stringify(line, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function fileSink(path: string): LogSink {
  return (line) => appendFileSync(path, `${line}\n`);
}

export function stdoutSink(): LogSink {
  return (line) => process.stdout.write(`${line}\n`);
}
