/** `mongod-sim` entry: parses mongod's flags, starts the sim, prints the readiness line, exits 0 on SIGINT/SIGTERM. */
import { existsSync, statSync } from 'node:fs';
import { fileSink, formatLogLine, stdoutSink, type LogSink } from './log.js';
import { SIM_VERSION } from './node.js';
import { parseArgs, USAGE, UsageError, type CliOptions } from './options.js';
import { startSim, type SimHandle } from './sim.js';
import { KeyFileError } from './auth/keyfile.js';
import { TlsConfigError, type SimTlsOptions } from './tls.js';
import { mongosMain } from './mongos/cli.js';

export const EXIT_CLEAN = 0;
export const EXIT_BADOPTIONS = 2;
export const EXIT_NET_ERROR = 48;
export const EXIT_DBPATH = 100;

export async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--mongos')) return mongosMain(argv);
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\ntry 'mongod-sim --help' for more information\n`);
      process.exit(EXIT_BADOPTIONS);
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    process.exit(EXIT_CLEAN);
  }
  if (opts.version) {
    process.stdout.write(`db version v${SIM_VERSION}\n`);
    process.exit(EXIT_CLEAN);
  }
  const sink: LogSink = opts.logpath ? fileSink(opts.logpath) : stdoutSink();
  if (opts.dbpath && (!existsSync(opts.dbpath) || !statSync(opts.dbpath).isDirectory())) {
    sink(formatLogLine('STORAGE', 22312, 'initandlisten', 'Data directory not found', { dbpath: opts.dbpath }, 'E'));
    process.stderr.write(`NonExistentPath: Data directory ${opts.dbpath} not found. Create the missing directory or specify another path using (1) the --dbpath command line option, or (2) by adding the 'storage.dbPath' option in the configuration file.\n`);
    process.exit(EXIT_DBPATH);
  }
  sink(formatLogLine('CONTROL', 4615611, 'initandlisten', 'MongoDB starting', { pid: process.pid, port: opts.port, dbPath: opts.dbpath ?? '(in memory)', architecture: '64-bit', host: process.env.HOSTNAME ?? 'localhost' }));
  let sim: SimHandle;
  let stopping = false;
  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    sink(formatLogLine('CONTROL', 23377, 'SignalHandler', 'Received signal', { reason }));
    try {
      await sim.close();
    } finally {
      sink(formatLogLine('CONTROL', 20565, 'SignalHandler', 'Now exiting'));
      sink(formatLogLine('CONTROL', 23138, 'SignalHandler', 'Shutting down', { exitCode: 0 }));
      process.exit(EXIT_CLEAN);
    }
  };
  try {
    sim = await startSim({
      port: opts.port,
      bindIp: opts.bindIp,
      dbpath: opts.dbpath,
      replSet: opts.replSet,
      ...replTimings(opts.setParameters),
      latencyMs: opts.latencyMs,
      maxWireVersion: opts.wireVersion,
      auth: opts.auth,
      ...(opts.keyFile !== undefined ? { keyFile: opts.keyFile } : {}),
      ...(opts.tlsMode !== 'disabled' ? { tls: tlsOptions(opts) } : {}),
      log: sink,
      quiet: opts.quiet,
      cmdLine: { argv: ['mongod-sim', ...argv], parsed: cmdLineParsed(opts) },
      onShutdown: () => void stop('shutdown command'),
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err instanceof KeyFileError || err instanceof TlsConfigError) {
      sink(formatLogLine(err instanceof KeyFileError ? 'ACCESS' : 'NETWORK', 20254, 'initandlisten', 'Unable to start', { error: err.message }, 'F'));
      process.stderr.write(`mongod-sim: ${err.message}\n`);
      process.exit(1);
    }
    sink(formatLogLine('NETWORK', 23024, 'initandlisten', 'Failed to set up listener', { error: { code: err.code, errmsg: err.message } }, 'E'));
    process.stderr.write(`mongod-sim: failed to listen: ${err.message}\n`);
    process.exit(err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL' ? EXIT_NET_ERROR : 1);
  }
  for (const [k, v] of Object.entries(opts.setParameters)) sim.node.parameters.set(k, v === 'true' ? true : v === 'false' ? false : /^-?\d+$/.test(v) ? Number(v) : v);
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // The readiness line: always on stdout, whatever --logpath says.
  const ready = formatLogLine('NETWORK', 23016, 'listener', 'Waiting for connections', { port: sim.port, ssl: opts.tlsMode === 'disabled' ? 'off' : 'on', host: sim.host });
  process.stdout.write(`${ready}\n`);
  if (opts.logpath) sink(ready);
}

function tlsOptions(o: CliOptions): SimTlsOptions {
  return {
    mode: o.tlsMode,
    ...(o.tlsCertificateKeyFile !== undefined ? { certificateKeyFile: o.tlsCertificateKeyFile } : {}),
    ...(o.tlsCAFile !== undefined ? { caFile: o.tlsCAFile } : {}),
    allowConnectionsWithoutCertificates: o.tlsAllowConnectionsWithoutCertificates,
    allowInvalidCertificates: o.tlsAllowInvalidCertificates,
  };
}

function cmdLineParsed(o: CliOptions): Record<string, unknown> {
  const parsed: Record<string, unknown> = { net: { port: o.port, bindIp: o.bindIp.join(',') } };
  if (o.dbpath) parsed.storage = { dbPath: o.dbpath };
  if (o.replSet) parsed.replication = { replSet: o.replSet };
  if (o.auth || o.keyFile) parsed.security = { ...(o.auth ? { authorization: 'enabled' } : {}), ...(o.keyFile ? { keyFile: o.keyFile } : {}) };
  if (o.tlsMode !== 'disabled') parsed.net = { ...(parsed.net as object), tls: { mode: o.tlsMode, certificateKeyFile: o.tlsCertificateKeyFile, CAFile: o.tlsCAFile } };
  if (o.logpath) parsed.systemLog = { destination: 'file', path: o.logpath, quiet: o.quiet };
  return parsed;
}

/**
 * Replica set timing defaults (used when a config has no settings): the sim's fast
 * 1000 / 250 ms unless `--setParameter mongodReplTimings=true` (mongod's 10000 / 2000) or
 * `--setParameter simElectionTimeoutMillis=N` / `simHeartbeatIntervalMillis=N`;
 * `--setParameter periodicNoopIntervalSecs=N` as mongod (default 10).
 */
function replTimings(p: Record<string, string>): { electionTimeoutMillis?: number; heartbeatIntervalMillis?: number; noopIntervalMs?: number } {
  const out: { electionTimeoutMillis?: number; heartbeatIntervalMillis?: number; noopIntervalMs?: number } = {};
  if (p.mongodReplTimings === 'true') {
    out.electionTimeoutMillis = 10000;
    out.heartbeatIntervalMillis = 2000;
  }
  const n = (k: string): number | undefined => (p[k] !== undefined && Number(p[k]) > 0 ? Number(p[k]) : undefined);
  out.electionTimeoutMillis = n('simElectionTimeoutMillis') ?? out.electionTimeoutMillis;
  out.heartbeatIntervalMillis = n('simHeartbeatIntervalMillis') ?? out.heartbeatIntervalMillis;
  const noop = n('periodicNoopIntervalSecs');
  if (noop !== undefined) out.noopIntervalMs = noop * 1000;
  return out;
}
