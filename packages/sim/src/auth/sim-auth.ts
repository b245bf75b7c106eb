/**
 * Authentication state of one sim node: users from `admin.system.users` (read through the
 * storage engine, so they persist and replicate like any data), the `__system@local` user of
 * `--keyFile`, one SaslServerSession per connection, the `--auth` gate with mongod's localhost
 * exception, and the hello fields (saslSupportedMechs, speculativeAuthenticate).
 *
 * Authorization is coarse: any authenticated user may run every command (roles are stored and
 * reported, never enforced).
 */
import tls from 'node:tls';
import type net from 'node:net';
import type { ConnectionInfo, SimNode } from '../node.js';
import { isPlainObject, keyOf, toViewDoc, type Doc } from '../storage/values.js';
import { INTERNAL_DB, INTERNAL_USER, internalCredentials, internalUserDocument, type InternalCredentials } from './keyfile.js';
import { SaslServerSession, type AuthenticatedUser } from './sasl-server.js';
import type { ScramCredential, SimUserDocument } from './scram-credentials.js';

export const USERS_DB = 'admin';
export const USERS_COLLECTION = 'system.users';
export const USERS_NS = `${USERS_DB}.${USERS_COLLECTION}`;

/** Commands mongod runs without authentication (requiresAuth() == false). */
export const NO_AUTH_REQUIRED: ReadonlySet<string> = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'ping',
  'buildInfo',
  'buildinfo',
  'saslStart',
  'saslContinue',
  'authenticate',
  'logout',
  'connectionStatus',
  'listCommands',
]);

export interface SimAuthOptions {
  /** `--auth`: refuse unauthenticated commands. Without it users and SASL still work, unenforced. */
  enabled?: boolean;
  /** A validated `--keyFile` key (see loadKeyFile): `__system@local` authenticates with it. Implies `enabled`. */
  key?: string;
}

interface ConnAuth {
  readonly session: SaslServerSession;
  readonly localhost: boolean;
}

/** Counters for tests and serverStatus-like diagnostics. */
export interface AuthCounters {
  saslStart: number;
  saslContinue: number;
  authenticate: number;
  /** hello commands carrying speculativeAuthenticate. */
  speculative: number;
}

function hostOf(remote: string): string {
  const i = remote.lastIndexOf(':');
  const host = i < 0 ? remote : remote.slice(0, i);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** mongod's localhost exception applies to loopback peers. */
export function isLoopback(remote: string): boolean {
  const host = hostOf(remote);
  return host === '::1' || host.startsWith('127.') || host.startsWith('::ffff:127.');
}

const RFC2253_SPECIAL = /[,+"\\<>;]/g;

/**
 * A certificate subject in RFC 2253 form (most specific RDN first, `,`-separated) as mongod
 * names X.509 users, from node's X509Certificate.subject (one `K=V` per line, in certificate order).
 */
export function rfc2253Subject(nodeSubject: string): string {
  return nodeSubject
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const eq = l.indexOf('=');
      const value = l.slice(eq + 1).replace(RFC2253_SPECIAL, (c) => `\\${c}`);
      return `${l.slice(0, eq)}=${value.startsWith('#') || value.startsWith(' ') ? `\\${value}` : value}`;
    })
    .reverse()
    .join(',');
}

/** The RFC 2253 subject of a TLS peer's certificate, if it presented a verified one. */
export function peerSubject(socket: net.Socket): string | undefined {
  if (!(socket instanceof tls.TLSSocket) || !socket.authorized) return undefined;
  const cert = socket.getPeerX509Certificate();
  return cert ? rfc2253Subject(cert.subject) : undefined;
}

function credentialOf(v: unknown): ScramCredential | undefined {
  if (!isPlainObject(v)) return undefined;
  return { iterationCount: Number(v.iterationCount), salt: String(v.salt), storedKey: String(v.storedKey), serverKey: String(v.serverKey) };
}

/** A stored admin.system.users document (typed values) as a SimUserDocument. */
export function userFromStored(stored: Doc): SimUserDocument {
  const view = toViewDoc(stored);
  const creds = isPlainObject(view.credentials) ? view.credentials : {};
  const credentials: { -readonly [K in keyof SimUserDocument['credentials']]: SimUserDocument['credentials'][K] } = {};
  const sha1 = credentialOf(creds['SCRAM-SHA-1']);
  const sha256 = credentialOf(creds['SCRAM-SHA-256']);
  if (sha1) credentials['SCRAM-SHA-1'] = sha1;
  if (sha256) credentials['SCRAM-SHA-256'] = sha256;
  if (creds.external === true) credentials.external = true;
  const roles = Array.isArray(view.roles) ? view.roles.filter(isPlainObject).map((r) => ({ role: String(r.role), db: String(r.db) })) : [];
  return { _id: String(view._id), userId: stored.userId as SimUserDocument['userId'], user: String(view.user), db: String(view.db), credentials, roles };
}

export class SimAuth {
  readonly enabled: boolean;
  readonly counters: AuthCounters = { saslStart: 0, saslContinue: 0, authenticate: 0, speculative: 0 };
  readonly #node: SimNode;
  readonly #conns = new WeakMap<ConnectionInfo, ConnAuth>();
  readonly #internal: SimUserDocument | undefined;
  /**
   * What this node's own internal connections (heartbeats, replication) must authenticate
   * with when it has a keyFile: `{ username: '__system', password: key, source: 'local',
   * mechanism: 'SCRAM-SHA-256' }`; undefined without a keyFile.
   */
  readonly internalCredentials: InternalCredentials | undefined;

  constructor(node: SimNode, options: SimAuthOptions = {}) {
    this.#node = node;
    this.enabled = options.enabled === true || options.key !== undefined;
    this.#internal = options.key !== undefined ? internalUserDocument(options.key) : undefined;
    this.internalCredentials = options.key !== undefined ? internalCredentials(options.key) : undefined;
  }

  /** Whether this node accepts `__system@local` (it has a keyFile). */
  get hasInternalUser(): boolean {
    return this.#internal !== undefined;
  }

  /** Finds a user: `__system@local` from the keyFile, others in admin.system.users. */
  readonly lookupUser = (db: string, user: string): SimUserDocument | undefined => {
    if (db === INTERNAL_DB && user === INTERNAL_USER) return this.#internal;
    const stored = this.#node.engine.getCollection(USERS_DB, USERS_COLLECTION)?.docs.get(keyOf(`${db}.${user}`)) ?? this.#findStored(db, user);
    return stored ? userFromStored(stored.doc) : undefined;
  };

  #findStored(db: string, user: string): { doc: Doc } | undefined {
    const coll = this.#node.engine.getCollection(USERS_DB, USERS_COLLECTION);
    if (!coll) return undefined;
    for (const d of coll.docs.values()) if (d.doc.user === user && d.doc.db === db) return d;
    return undefined;
  }

  /** Every stored user (typed documents). */
  storedUsers(): Doc[] {
    const coll = this.#node.engine.getCollection(USERS_DB, USERS_COLLECTION);
    return coll ? [...coll.docs.values()].map((d) => d.doc) : [];
  }

  hasUsers(): boolean {
    return (this.#node.engine.getCollection(USERS_DB, USERS_COLLECTION)?.docs.size ?? 0) > 0;
  }

  #mechanisms(): string[] {
    const p = this.#node.parameters.get('authenticationMechanisms');
    const list = Array.isArray(p) ? p.map(String) : typeof p === 'string' ? p.split(',').map((s) => s.trim()) : [];
    return list.length > 0 ? list : ['SCRAM-SHA-1', 'SCRAM-SHA-256'];
  }

  /** Called by the wire server for each accepted socket (TLS client certificate, loopback peer). */
  attach(conn: ConnectionInfo, socket?: net.Socket): ConnAuth {
    const subject = socket ? peerSubject(socket) : undefined;
    const state: ConnAuth = {
      session: new SaslServerSession({
        lookupUser: this.lookupUser,
        mechanisms: this.#mechanisms(),
        requireX509User: true,
        ...(subject !== undefined ? { clientCertificateSubject: subject } : {}),
      }),
      localhost: isLoopback(conn.remote),
    };
    this.#conns.set(conn, state);
    return state;
  }

  #state(conn: ConnectionInfo): ConnAuth {
    return this.#conns.get(conn) ?? this.attach(conn);
  }

  session(conn: ConnectionInfo): SaslServerSession {
    return this.#state(conn).session;
  }

  authenticatedUsers(conn: ConnectionInfo): readonly AuthenticatedUser[] {
    return this.#conns.get(conn)?.session.authenticatedUsers ?? [];
  }

  isAuthenticated(conn: ConnectionInfo): boolean {
    return this.authenticatedUsers(conn).length > 0;
  }

  /** The localhost exception: a loopback connection to a node without users. */
  localhostException(conn: ConnectionInfo): boolean {
    return this.#state(conn).localhost && !this.hasUsers();
  }

  /**
   * The `--auth` check before a command runs: undefined to let it run, else mongod's
   * Unauthorized reply. Unknown commands pass (CommandNotFound comes first, as in mongod).
   */
  gate(conn: ConnectionInfo, name: string, db: string, known: boolean): Doc | undefined {
    if (!this.enabled || !known || NO_AUTH_REQUIRED.has(name) || this.isAuthenticated(conn)) return undefined;
    if ((name === 'createUser' || name === 'createRole') && db === USERS_DB && this.localhostException(conn)) return undefined;
    return { ok: 0, errmsg: `Command ${name} requires authentication`, code: 13, codeName: 'Unauthorized' };
  }

  /**
   * Fields a hello reply gains: saslSupportedMechs (known users only) and speculativeAuthenticate
   * (when the speculation succeeded). `--setParameter simSpeculativeAuth=false` ignores speculation.
   */
  helloFields(conn: ConnectionInfo, hello: Doc): Doc {
    let body = hello;
    if (body.speculativeAuthenticate !== undefined) {
      if (this.#node.parameters.get('simSpeculativeAuth') === false) {
        const { speculativeAuthenticate: _ignored, ...rest } = body;
        body = rest;
      } else {
        this.counters.speculative++;
      }
    }
    const fields = this.session(conn).helloFields(body);
    if (fields.speculativeAuthenticate !== undefined) this.#logSuccess(conn);
    return fields;
  }

  #logSuccess(conn: ConnectionInfo): void {
    const u = this.authenticatedUsers(conn)[0];
    if (!u) return;
    this.#node.logger.log('ACCESS', 5286306, `conn${conn.id}`, 'Successfully authenticated', {
      client: conn.remote,
      mechanism: u.mechanism,
      user: u.user,
      db: u.db,
    });
  }

  /** Logs the outcome of an authentication command (never the payload). */
  noteResult(conn: ConnectionInfo, command: string, reply: Doc): void {
    if (reply.ok === 1 && (reply.done === true || command === 'authenticate')) this.#logSuccess(conn);
    else if (reply.ok !== 1) {
      this.#node.logger.log('ACCESS', 5286307, `conn${conn.id}`, 'Failed to authenticate', {
        client: conn.remote,
        command,
        error: { code: reply.code, codeName: reply.codeName, errmsg: reply.errmsg },
      });
    }
  }
}

const registry = new WeakMap<SimNode, SimAuth>();

/** Installs the auth state of a node (startSim does this from --auth / --keyFile). */
export function configureAuth(node: SimNode, options: SimAuthOptions): SimAuth {
  const auth = new SimAuth(node, options);
  registry.set(node, auth);
  return auth;
}

/** The auth state of a node; a node never configured has users and SASL but no `--auth` gate. */
export function authOf(node: SimNode): SimAuth {
  let auth = registry.get(node);
  if (!auth) {
    auth = new SimAuth(node);
    registry.set(node, auth);
  }
  return auth;
}
