/**
 * Authentication and user management commands: saslStart / saslContinue / authenticate /
 * logout / connectionStatus, and createUser / updateUser / dropUser / dropAllUsersFromDatabase /
 * usersInfo. Users live in `admin.system.users`, written through the storage engine's write
 * path (journaled with --dbpath, in the oplog on a replica set). Roles are validated against
 * the built-in roles and stored, not enforced.
 */
import { authOf, USERS_COLLECTION, USERS_DB, USERS_NS, userFromStored } from '../auth/sim-auth.js';
import { createScramCredentials, createUserDocument, isScramMechanism, ScramMechanism, type SimUserRole } from '../auth/scram-credentials.js';
import { registerCommands, type CommandContext } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';
import { isPlainObject, toViewDoc, type Doc } from '../storage/values.js';

const UserNotFound = 11;
const RoleNotFound = 31;
const UserAlreadyExists = 51003;

/** Built-in roles of any database, and those that exist only on admin. */
const DB_ROLES = new Set(['read', 'readWrite', 'dbAdmin', 'dbOwner', 'userAdmin', 'enableSharding']);
const ADMIN_ROLES = new Set([
  'readAnyDatabase',
  'readWriteAnyDatabase',
  'userAdminAnyDatabase',
  'dbAdminAnyDatabase',
  'clusterAdmin',
  'clusterManager',
  'clusterMonitor',
  'hostManager',
  'backup',
  'restore',
  'root',
  'directShardOperations',
  'searchCoordinator',
  '__queryableBackup',
  '__system',
]);

function parseRoles(value: unknown, db: string): SimUserRole[] {
  if (!Array.isArray(value)) throw new CommandError(ErrorCode.BadValue, 'roles field must be an array');
  return value.map((r): SimUserRole => {
    const role = typeof r === 'string' ? { role: r, db } : isPlainObject(r) && typeof r.role === 'string' && typeof r.db === 'string' ? { role: r.role, db: r.db } : undefined;
    if (!role) throw new CommandError(ErrorCode.BadValue, 'Role names must be either strings or objects with "role" and "db" fields');
    const known = DB_ROLES.has(role.role) || (role.db === 'admin' && ADMIN_ROLES.has(role.role));
    if (!known) throw new CommandError(RoleNotFound, `Could not find role: ${role.role}@${role.db}`);
    return role;
  });
}

function parseMechanisms(value: unknown): ScramMechanism[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) throw new CommandError(ErrorCode.BadValue, 'mechanisms field must not be empty');
  for (const m of value) {
    if (!isScramMechanism(m)) throw new CommandError(ErrorCode.BadValue, `Unknown auth mechanism '${String(m)}'`);
  }
  return value as ScramMechanism[];
}

function userName(ctx: CommandContext): string {
  const name = ctx.args[ctx.name];
  if (typeof name !== 'string' || name === '') throw new CommandError(ErrorCode.BadValue, `"${ctx.name}" must be a non-empty string naming the user`);
  return name;
}

function checkPassword(ctx: CommandContext, required: boolean): string | undefined {
  const pwd = ctx.args.pwd;
  if (ctx.db === '$external') {
    if (pwd !== undefined) throw new CommandError(ErrorCode.BadValue, "Cannot set the password for users defined on the '$external' database");
    return undefined;
  }
  if (pwd === undefined) {
    if (required) throw new CommandError(ErrorCode.BadValue, "Must provide a 'pwd' field for all user documents, except those with '$external' as the user's source db");
    return undefined;
  }
  if (typeof pwd !== 'string') throw new CommandError(ErrorCode.TypeMismatch, 'pwd must be a string');
  if (pwd === '') throw new CommandError(ErrorCode.BadValue, 'Password cannot be empty');
  if (ctx.args.digestPassword === false) throw new CommandError(ErrorCode.BadValue, 'Use of SCRAM-SHA-256 requires undigested passwords');
  return pwd;
}

function storedUser(ctx: CommandContext, db: string, user: string): Doc | undefined {
  return authOf(ctx.node).storedUsers().find((d) => d.user === user && d.db === db);
}

function writeUsers(ctx: CommandContext, entry: Parameters<CommandContext['node']['engine']['write']>[0]): void {
  const j = isPlainObject(ctx.args.writeConcern) && ctx.args.writeConcern.j === true;
  ctx.node.engine.ensureCollection(USERS_DB, USERS_COLLECTION);
  ctx.node.engine.write(entry, { j });
}

function createUser(ctx: CommandContext): Doc {
  const user = userName(ctx);
  if (ctx.db === 'local') throw new CommandError(ErrorCode.BadValue, 'Cannot create users in the local database');
  const password = checkPassword(ctx, true);
  if (ctx.args.roles === undefined) throw new CommandError(ErrorCode.BadValue, '"createUser" command requires a "roles" array');
  const roles = parseRoles(ctx.args.roles, ctx.db);
  const mechanisms = parseMechanisms(ctx.args.mechanisms);
  if (storedUser(ctx, ctx.db, user)) throw new CommandError(UserAlreadyExists, `User "${user}@${ctx.db}" already exists`);
  let doc: Doc;
  if (password === undefined) {
    if (mechanisms) throw new CommandError(ErrorCode.BadValue, 'mechanisms field must not be set for $external users');
    const base = createUserDocument({ user, db: ctx.db, password: 'unused', mechanisms: [ScramMechanism.ScramSha256], roles });
    doc = { ...base, credentials: { external: true } };
  } else {
    doc = { ...createUserDocument({ user, db: ctx.db, password, roles, ...(mechanisms ? { mechanisms } : {}) }) };
  }
  if (ctx.body.customData !== undefined) {
    if (!isPlainObject(ctx.body.customData)) throw new CommandError(ErrorCode.BadValue, 'customData must be an object');
    doc.customData = ctx.body.customData;
  }
  writeUsers(ctx, { op: 'i', ns: USERS_NS, o: doc });
  ctx.node.logger.log('ACCESS', 20300, `conn${ctx.conn.id}`, 'Created user', { user, db: ctx.db });
  return {};
}

function updateUser(ctx: CommandContext): Doc {
  const user = userName(ctx);
  const old = storedUser(ctx, ctx.db, user);
  const password = checkPassword(ctx, false);
  const roles = ctx.args.roles !== undefined ? parseRoles(ctx.args.roles, ctx.db) : undefined;
  const mechanisms = parseMechanisms(ctx.args.mechanisms);
  if (password === undefined && roles === undefined && ctx.body.customData === undefined && mechanisms === undefined) {
    throw new CommandError(ErrorCode.BadValue, 'Must specify at least one field to update in updateUser');
  }
  if (!old) throw new CommandError(UserNotFound, `Could not find user "${user}" for db "${ctx.db}"`);
  const next: Doc = { ...old };
  if (password !== undefined || mechanisms !== undefined) {
    if (password === undefined) throw new CommandError(ErrorCode.BadValue, 'A password must be provided when changing the mechanisms');
    const current = Object.keys(userFromStored(old).credentials).filter(isScramMechanism);
    const mechs = mechanisms ?? (current.length > 0 ? current : [ScramMechanism.ScramSha1, ScramMechanism.ScramSha256]);
    const credentials: Doc = {};
    for (const m of mechs) credentials[m] = createScramCredentials(password, m, undefined, { username: user });
    next.credentials = credentials;
  }
  if (roles !== undefined) next.roles = roles;
  if (ctx.body.customData !== undefined) next.customData = ctx.body.customData;
  writeUsers(ctx, { op: 'u', ns: USERS_NS, o2: { _id: old._id }, o: next });
  return {};
}

function dropUser(ctx: CommandContext): Doc {
  const user = userName(ctx);
  const old = storedUser(ctx, ctx.db, user);
  if (!old) throw new CommandError(UserNotFound, `User '${user}@${ctx.db}' not found`);
  writeUsers(ctx, { op: 'd', ns: USERS_NS, o: { _id: old._id } });
  return {};
}

function dropAllUsersFromDatabase(ctx: CommandContext): Doc {
  const victims = authOf(ctx.node).storedUsers().filter((d) => d.db === ctx.db);
  for (const d of victims) writeUsers(ctx, { op: 'd', ns: USERS_NS, o: { _id: d._id } });
  return { n: victims.length };
}

type UserSpec = { user: string; db: string };

function usersInfo(ctx: CommandContext): Doc {
  const spec = ctx.args.usersInfo;
  const all = authOf(ctx.node).storedUsers();
  let selected: Doc[];
  if (spec === 1 || spec === true) selected = all.filter((d) => d.db === ctx.db);
  else if (isPlainObject(spec) && spec.forAllDBs === true) selected = all;
  else {
    const list = Array.isArray(spec) ? spec : [spec];
    const wanted = list.map((s): UserSpec => {
      if (typeof s === 'string') return { user: s, db: ctx.db };
      if (isPlainObject(s) && typeof s.user === 'string' && typeof s.db === 'string') return { user: s.user, db: s.db };
      throw new CommandError(ErrorCode.BadValue, 'User name must be either a string or an object with "user" and "db" fields');
    });
    selected = all.filter((d) => wanted.some((w) => w.user === d.user && w.db === d.db));
  }
  selected.sort((a, b) => (String(a._id) < String(b._id) ? -1 : String(a._id) > String(b._id) ? 1 : 0));
  const users = selected.map((d) => {
    const u = userFromStored(d);
    const out: Doc = { _id: u._id, userId: d.userId, user: u.user, db: u.db, roles: u.roles.map((r) => ({ role: r.role, db: r.db })) };
    if (d.customData !== undefined) out.customData = d.customData;
    if (ctx.args.showCredentials === true) out.credentials = d.credentials;
    out.mechanisms = Object.keys(u.credentials).filter(isScramMechanism);
    return out;
  });
  return { users };
}

/** saslStart / saslContinue / authenticate: one connection's SaslServerSession. */
function authCommand(kind: 'saslStart' | 'saslContinue' | 'authenticate') {
  return (ctx: CommandContext): Doc => {
    const auth = authOf(ctx.node);
    auth.counters[kind]++;
    const session = auth.session(ctx.conn);
    const reply = session[kind](ctx.db, ctx.body);
    auth.noteResult(ctx.conn, kind, reply);
    return reply;
  };
}

function connectionStatus(ctx: CommandContext): Doc {
  const auth = authOf(ctx.node);
  const users = auth.authenticatedUsers(ctx.conn);
  const roles = users.flatMap((u) => auth.lookupUser(u.db, u.user)?.roles ?? []);
  const authInfo: Doc = {
    authenticatedUsers: users.map((u) => ({ user: u.user, db: u.db })),
    authenticatedUserRoles: roles.map((r) => ({ role: r.role, db: r.db })),
  };
  if (toViewDoc(ctx.args).showPrivileges === true) authInfo.authenticatedUserPrivileges = [];
  return { authInfo };
}

registerCommands({
  saslStart: { handler: authCommand('saslStart'), counter: 'command' },
  saslContinue: { handler: authCommand('saslContinue'), counter: 'command' },
  authenticate: { handler: authCommand('authenticate'), counter: 'command' },
  logout: (ctx) => {
    authOf(ctx.node).session(ctx.conn).logout();
    return {};
  },
  connectionStatus,
  createUser: { handler: createUser, write: true },
  updateUser: { handler: updateUser, write: true },
  dropUser: { handler: dropUser, write: true },
  dropAllUsersFromDatabase: { handler: dropAllUsersFromDatabase, write: true },
  usersInfo,
});
