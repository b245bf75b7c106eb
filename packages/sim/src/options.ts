/** mongod-style command line flags for `mongod-sim`. */
import { isTlsMode, TlsMode } from './tls.js';

export interface CliOptions {
  port: number;
  bindIp: string[];
  dbpath?: string;
  replSet?: string;
  quiet: boolean;
  logpath?: string;
  logappend: boolean;
  latencyMs: number;
  setParameters: Record<string, string>;
  /** --auth (also implied by --keyFile). */
  auth: boolean;
  keyFile?: string;
  tlsMode: TlsMode;
  tlsCertificateKeyFile?: string;
  tlsCAFile?: string;
  tlsAllowConnectionsWithoutCertificates: boolean;
  tlsAllowInvalidCertificates: boolean;
  help: boolean;
  version: boolean;
  /** --mongos: run as a router in front of the replica set given by --configdb / --mongos-seeds. */
  mongos: boolean;
  /** --configdb <setName>/<host:port>[,<host:port>...] (the replica set behind the router). */
  configdb?: string;
  /** --mongos-seeds <connection string> (alternative to --configdb). */
  mongosSeeds?: string;
  /** --localThreshold <ms> (router only). */
  localThreshold?: number;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Flags taking a value. Unknown mongod flags accepted for compatibility are ignored. */
const VALUE_FLAGS = new Set(['port', 'bind_ip', 'dbpath', 'replSet', 'logpath', 'latency-ms', 'setParameter', 'oplogSize', 'storageEngine', 'wiredTigerCacheSizeGB', 'keyFile', 'auth-mechanism', 'config', 'f', 'timeZoneInfo', 'maxConns', 'tlsMode', 'sslMode', 'tlsCertificateKeyFile', 'tlsCAFile', 'clusterAuthMode', 'configdb', 'mongos-seeds', 'localThreshold']);
const BOOL_FLAGS = new Set(['bind_ip_all', 'quiet', 'logappend', 'help', 'h', 'version', 'nounixsocket', 'noauth', 'ipv6', 'journal', 'nojournal', 'verbose', 'v', 'vv', 'vvv', 'fork', 'auth', 'tlsAllowConnectionsWithoutCertificates', 'tlsAllowInvalidCertificates', 'mongos']);
const IGNORED = new Set(['oplogSize', 'storageEngine', 'wiredTigerCacheSizeGB', 'timeZoneInfo', 'maxConns', 'sslMode', 'clusterAuthMode', 'nounixsocket', 'noauth', 'ipv6', 'journal', 'nojournal', 'verbose', 'v', 'vv', 'vvv']);

export const USAGE = `Usage: mongod-sim [options]

A mongod 7.0-compatible wire server (simulation) for tests, demos and benchmarks.

Options:
  --port <n>             TCP port (default 27017; 0 picks a free port)
  --bind_ip <ip[,ip]>    addresses to listen on (default 127.0.0.1)
  --bind_ip_all          listen on 0.0.0.0
  --dbpath <dir>         persist data in <dir> (journal.sim); the directory must exist.
                         Without it, data lives in memory only.
  --replSet <name>       replica set member: elections, oplog replication, initial sync;
                         initiate with replSetInitiate (as mongod)
  --logpath <file>       write log lines to <file> instead of stdout
  --logappend            append to --logpath (the default for the sim)
  --quiet                fewer log lines (no connection/metadata lines)
  --latency-ms <n>       sim only: delay every reply by <n> milliseconds
  --setParameter <k=v>   accepted (stored as a server parameter)
  --auth                 require authentication (SCRAM-SHA-256/1, X.509); create the first
                         user on admin from localhost (the localhost exception)
  --keyFile <path>       replica set key: members authenticate as __system@local (implies --auth)
  --tlsMode <mode>       disabled | allowTLS | preferTLS | requireTLS
  --tlsCertificateKeyFile <pem>   the server's certificate and key
  --tlsCAFile <pem>      CA for client certificates (then required, unless:)
  --tlsAllowConnectionsWithoutCertificates
  --tlsAllowInvalidCertificates   accept client certificates that do not verify
  --mongos               run as a router (mongos) in front of a replica set; needs one of:
  --configdb <set/h:p,h:p>   the replica set behind the router
  --mongos-seeds <uri>   its connection string (mongodb://h1,h2/?replicaSet=rs0)
  --localThreshold <ms>  router: latency window for choosing a member (default 15)
  --version              print the version and exit
  --help                 print this help and exit

Readiness: once listening, one line is printed to stdout (even with --logpath):
  {"t":{"$date":"..."},"s":"I","c":"NETWORK","id":23016,"ctx":"listener","msg":"Waiting for connections","attr":{"port":<port>,"ssl":"off","host":"<ip>"}}
Exit codes: 0 on SIGINT/SIGTERM/shutdown command, 2 on bad options, 48 if the port is
in use, 100 if --dbpath does not exist.
`;

export function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = { port: 27017, bindIp: ['127.0.0.1'], quiet: false, logappend: false, latencyMs: 0, setParameters: {}, auth: false, tlsMode: TlsMode.Disabled, tlsAllowConnectionsWithoutCertificates: false, tlsAllowInvalidCertificates: false, help: false, version: false, mongos: false };
  let bindAll = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([A-Za-z_][\w-]*)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`Error parsing command line: unrecognised option '${arg}'`);
    const name = m[1]!;
    let value = m[2];
    if (VALUE_FLAGS.has(name)) {
      if (value === undefined) {
        value = argv[++i];
        if (value === undefined) throw new UsageError(`Error parsing command line: the required argument for option '--${name}' is missing`);
      }
    } else if (BOOL_FLAGS.has(name)) {
      if (value !== undefined) throw new UsageError(`Error parsing command line: option '--${name}' does not take any arguments`);
    } else {
      throw new UsageError(`Error parsing command line: unrecognised option '--${name}'`);
    }
    if (IGNORED.has(name)) continue;
    switch (name) {
      case 'port': {
        const n = Number(value);
        if (!/^\d+$/.test(value!) || n > 65535) throw new UsageError(`Error parsing command line: bad value for option '--port': ${value} is not a valid port number (0-65535)`);
        opts.port = n;
        break;
      }
      case 'bind_ip':
        opts.bindIp = value!.split(',').map((s) => s.trim()).filter(Boolean);
        if (opts.bindIp.length === 0) throw new UsageError("Error parsing command line: '--bind_ip' needs at least one address");
        break;
      case 'bind_ip_all':
        bindAll = true;
        break;
      case 'dbpath':
        opts.dbpath = value!;
        break;
      case 'replSet':
        if (!value) throw new UsageError("Error parsing command line: '--replSet' needs a name");
        opts.replSet = value;
        break;
      case 'quiet':
        opts.quiet = true;
        break;
      case 'logpath':
        opts.logpath = value!;
        break;
      case 'logappend':
        opts.logappend = true;
        break;
      case 'latency-ms': {
        const n = Number(value);
        if (!Number.isFinite(n) || n < 0) throw new UsageError(`Error parsing command line: bad value for option '--latency-ms': ${value}`);
        opts.latencyMs = n;
        break;
      }
      case 'setParameter': {
        const eq = value!.indexOf('=');
        if (eq <= 0) throw new UsageError(`Error parsing command line: bad value for option '--setParameter': ${value} (expected name=value)`);
        opts.setParameters[value!.slice(0, eq)] = value!.slice(eq + 1);
        break;
      }
      case 'auth':
        opts.auth = true;
        break;
      case 'keyFile':
        opts.keyFile = value!;
        break;
      case 'tlsMode':
        if (!isTlsMode(value)) throw new UsageError(`Error parsing command line: bad value for option '--tlsMode': ${value} (disabled, allowTLS, preferTLS or requireTLS)`);
        opts.tlsMode = value;
        break;
      case 'tlsCertificateKeyFile':
        opts.tlsCertificateKeyFile = value!;
        break;
      case 'tlsCAFile':
        opts.tlsCAFile = value!;
        break;
      case 'tlsAllowConnectionsWithoutCertificates':
        opts.tlsAllowConnectionsWithoutCertificates = true;
        break;
      case 'tlsAllowInvalidCertificates':
        opts.tlsAllowInvalidCertificates = true;
        break;
      case 'help':
      case 'h':
        opts.help = true;
        break;
      case 'version':
        opts.version = true;
        break;
      case 'mongos':
        opts.mongos = true;
        break;
      case 'configdb':
        opts.configdb = value!;
        break;
      case 'mongos-seeds':
        opts.mongosSeeds = value!;
        break;
      case 'localThreshold': {
        const n = Number(value);
        if (!Number.isFinite(n) || n < 0) throw new UsageError(`Error parsing command line: bad value for option '--localThreshold': ${value}`);
        opts.localThreshold = n;
        break;
      }
      case 'fork':
        throw new UsageError('Error parsing command line: --fork is not supported by mongod-sim');
      case 'config':
      case 'f':
        throw new UsageError('Error parsing command line: --config files are not supported by mongod-sim');
      default:
        break;
    }
  }
  if (bindAll) opts.bindIp = ['0.0.0.0'];
  if (!opts.mongos && (opts.configdb !== undefined || opts.mongosSeeds !== undefined || opts.localThreshold !== undefined)) {
    throw new UsageError("Error parsing command line: '--configdb', '--mongos-seeds' and '--localThreshold' need --mongos");
  }
  if (opts.tlsMode !== TlsMode.Disabled && !opts.tlsCertificateKeyFile) {
    throw new UsageError('Error parsing command line: need tlsCertificateKeyFile or certificateSelector when TLS is enabled');
  }
  return opts;
}
