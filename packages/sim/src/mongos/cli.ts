/**
 * `mongod-sim --mongos --configdb <set>/<host:port>,...` (or `--mongos-seeds <uri>`):
 * a router process. Same conventions as the mongod CLI: the readiness line on stdout,
 * exit 0 on SIGINT / SIGTERM / shutdown, 2 on bad options, 48 when the port is in use.
 */
import { fileSink, formatLogLine, stdoutSink, type LogSink } from '../log.js';
import { parseArgs, USAGE, UsageError, type CliOptions } from '../options.js';
import { SIM_VERSION } from '../node.js';
import { DEFAULT_FIND_HOST_TIMEOUT_MS } from './router.js';
import { startMongosRouter, type MongosRouterHandle } from './start.js';

const EXIT_CLEAN = 0;
const EXIT_BADOPTIONS = 2;
const EXIT_NET_ERROR = 48;

/** `rs0/h1:27017,h2:27018` -> the connection string of that replica set. */
export function configdbToUri(configdb: string): { uri: string; setName: string } {
  const slash = configdb.indexOf('/');
  if (slash <= 0) {
    throw new UsageError(`Error parsing command line: bad value for option '--configdb': ${configdb} (expected <replSetName>/<host:port>[,<host:port>...])`);
  }
  const setName = configdb.slice(0, slash);
  const hosts = configdb.slice(slash + 1).split(',').map((h) => h.trim()).filter(Boolean);
  if (hosts.length === 0) throw new UsageError(`Error parsing command line: '--configdb' ${configdb} names no hosts`);
  return { uri: `mongodb://${hosts.join(',')}/?replicaSet=${encodeURIComponent(setName)}`, setName };
}

/** The router's seeds from --configdb / --mongos-seeds (exactly one of them). */
export function routerSeeds(opts: CliOptions): { uri: string; setName?: string } {
  if (opts.dbpath !== undefined || opts.replSet !== undefined) {
    throw new UsageError("Error parsing command line: '--dbpath' and '--replSet' are not allowed with --mongos");
  }
  if (opts.configdb !== undefined && opts.mongosSeeds !== undefined) {
    throw new UsageError("Error parsing command line: give either '--configdb' or '--mongos-seeds', not both");
  }
  if (opts.configdb !== undefined) return configdbToUri(opts.configdb);
  if (opts.mongosSeeds !== undefined) {
    if (!/^mongodb(\+srv)?:\/\//.test(opts.mongosSeeds)) throw new UsageError(`Error parsing command line: bad value for option '--mongos-seeds': ${opts.mongosSeeds} (expected a mongodb:// connection string)`);
    return { uri: opts.mongosSeeds };
  }
  throw new UsageError('Error parsing command line: --mongos needs --configdb <set>/<host:port>,... or --mongos-seeds <uri>');
}

export async function mongosMain(argv: readonly string[]): Promise<void> {
  let opts: CliOptions;
  let seeds: { uri: string; setName?: string };
  try {
    opts = parseArgs(argv);
    if (opts.help) {
      process.stdout.write(USAGE);
      process.exit(EXIT_CLEAN);
    }
    if (opts.version) {
      process.stdout.write(`mongos version v${SIM_VERSION}\n`);
      process.exit(EXIT_CLEAN);
    }
    seeds = routerSeeds(opts);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\ntry 'mongod-sim --help' for more information\n`);
      process.exit(EXIT_BADOPTIONS);
    }
    throw e;
  }
  const sink: LogSink = opts.logpath ? fileSink(opts.logpath) : stdoutSink();
  sink(formatLogLine('CONTROL', 4615611, 'initandlisten', 'MongoS starting', { pid: process.pid, port: opts.port, seeds: seeds.uri }));
  let handle: MongosRouterHandle;
  let stopping = false;
  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    sink(formatLogLine('CONTROL', 23377, 'SignalHandler', 'Received signal', { reason }));
    try {
      await handle.close();
    } finally {
      sink(formatLogLine('CONTROL', 23138, 'SignalHandler', 'Shutting down', { exitCode: 0 }));
      process.exit(EXIT_CLEAN);
    }
  };
  const findHost = Number(opts.setParameters.simFindHostTimeoutMS);
  try {
    handle = await startMongosRouter({
      seeds: seeds.uri,
      ...(seeds.setName !== undefined ? { setName: seeds.setName } : {}),
      port: opts.port,
      bindIp: opts.bindIp,
      latencyMs: opts.latencyMs,
      ...(opts.localThreshold !== undefined ? { localThresholdMS: opts.localThreshold } : {}),
      findHostTimeoutMS: findHost > 0 ? findHost : DEFAULT_FIND_HOST_TIMEOUT_MS,
      log: sink,
      quiet: opts.quiet,
      cmdLine: { argv: ['mongod-sim', ...argv], parsed: { net: { port: opts.port, bindIp: opts.bindIp.join(',') }, sharding: { configDB: opts.configdb ?? seeds.uri } } },
      onShutdown: () => void stop('shutdown command'),
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    sink(formatLogLine('NETWORK', 23024, 'initandlisten', 'Failed to set up listener', { error: { code: err.code, errmsg: err.message } }, 'E'));
    process.stderr.write(`mongod-sim: failed to listen: ${err.message}\n`);
    process.exit(err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL' ? EXIT_NET_ERROR : 1);
  }
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const ready = formatLogLine('NETWORK', 23016, 'listener', 'Waiting for connections', { port: handle.port, ssl: 'off', host: handle.host });
  process.stdout.write(`${ready}\n`);
  if (opts.logpath) sink(ready);
}
