/** Structured logs: one JSON object per line. Never pass tokens or secrets in. */

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogEvent {
  level: LogLevel;
  event: string;
  [field: string]: unknown;
}

export type LogSink = (line: string) => void;

export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export function createLogger(sink: LogSink = (line) => process.stdout.write(line + '\n')): Logger {
  const emit = (level: LogLevel, event: string, fields?: Record<string, unknown>) => {
    const record: LogEvent = { time: new Date().toISOString(), level, event, ...fields };
    try {
      sink(JSON.stringify(record));
    } catch {
      // a broken sink must not break the relay
    }
  };
  return {
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
  };
}
