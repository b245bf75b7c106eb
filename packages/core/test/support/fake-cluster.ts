/**
 * An in-process fake replica set on the memory transport, for live SDAM tests.
 *
 * Every member is a scripted mongod stand-in (test/support/fake-server.ts serveFake)
 * with its own view of the set: role, the electionId/setVersion it claims, the hosts
 * list, who it thinks the primary is, and a topologyVersion { processId, counter }.
 * Members answer:
 * - hello / legacy hello: at once; or, when the request carries topologyVersion +
 *   maxAwaitTimeMS (awaitable hello), when the member's counter moves past the
 *   request's or maxAwaitTimeMS passes; with exhaustAllowed the member keeps
 *   streaming replies with moreToCome until the socket closes;
 * - ping / insert / update / delete / find / others: minimal replies; writes on a
 *   non-primary get NotWritablePrimary; authentication fails (there are no users).
 * With `mongos: true` every host is a router (hello says `msg: 'isdbgrid'`) whose
 * replies to a transaction's inserts carry a `recoveryToken` naming it.
 * The test changes the set through the cluster (stepDown, elect, claimPrimary,
 * removeMember, kill, revive, failCommand); every change bumps the counters of the
 * members whose view changed, which wakes their awaitable hellos.
 *
 * Everything the fake starts (sockets, held-reply timers) is released when the
 * client closes the socket or on `cluster.close()`.
 */
import { Long, ObjectId } from 'bson';
import type { Document } from '../../src/errors.js';
import { serveFake, DEFAULT_HELLO_REPLY, type FakeContext, type FakeRequest, type FakeServer } from './fake-server.js';
import { MemoryDelivery, MemoryNetwork, type MemoryServerSocket } from '../../src/runtime/memory/transport.js';
import { connect } from '../../src/connection/connect.js';
import { Pool } from '../../src/pool/pool.js';
import { Topology, type TopologyEventName, type TopologyEvents, type TopologyOptions } from '../../src/sdam/topology.js';

export const MemberRole = Object.freeze({
  primary: 'primary',
  secondary: 'secondary',
  /** Not in the set's config (removed): answers like an RSGhost. */
  ghost: 'ghost',
  /** A router of a sharded cluster (FakeClusterOptions.mongos). */
  mongos: 'mongos',
} as const);
export type MemberRole = (typeof MemberRole)[keyof typeof MemberRole];

/** One command a member received (hellos are counted, not recorded). */
export interface RecordedCommand {
  readonly address: string;
  readonly name: string;
  readonly body: Document;
  readonly sequences: Readonly<Record<string, Document[]>>;
  /** Server-side stream id (MemoryServerSocket.id). */
  readonly socketId: number;
  /** The requestId in the wire message's header. */
  readonly requestId: number;
}

/** What a failCommand hook does with a matching command. */
export type FailAction =
  | { readonly kind: 'network' }
  | { readonly kind: 'reply'; readonly reply: Document };

interface FailRule {
  readonly name: string;
  remaining: number;
  readonly action: FailAction;
  /** Runs before the failure is delivered (e.g. start an election). */
  readonly before?: (() => void) | undefined;
}

/** An awaitable hello held until a topology change or maxAwaitTimeMS. */
interface HeldHello {
  readonly ctx: FakeContext;
  readonly socket: MemoryServerSocket;
  readonly exhaust: boolean;
  readonly maxAwaitTimeMS: number;
  /** responseTo of the next reply. */
  to: number;
  /** Counter the client last saw. */
  seen: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** 24-hex-digit ObjectId whose hex order is the order of `n`. */
export function electionIdOf(n: number): ObjectId {
  return ObjectId.createFromHexString(n.toString(16).padStart(24, '0'));
}

export class FakeMember {
  role: MemberRole;
  /** electionId this member claims while primary (a number, see electionIdOf). */
  electionId: number;
  setVersion: number;
  hosts: string[];
  /** The primary this member reports (undefined: none known). */
  primary: string | undefined;
  tags: Record<string, string> = {};
  processId = new ObjectId();
  counter = 0;
  alive = true;
  /** Hello replies sent (handshakes, polls, awaited and streamed replies). */
  hellosAnswered = 0;
  /** Of those: replies to awaitable hellos (streamed or not). */
  awaitedReplies = 0;
  /** Connections accepted. */
  connectionsAccepted = 0;
  private server: FakeServer | undefined;
  private readonly sockets = new Set<MemoryServerSocket>();
  private readonly held = new Set<HeldHello>();
  readonly failRules: FailRule[] = [];

  constructor(
    readonly cluster: FakeCluster,
    readonly address: string,
    init: { role: MemberRole; electionId: number; setVersion: number; hosts: string[]; primary: string | undefined },
  ) {
    this.role = init.role;
    this.electionId = init.electionId;
    this.setVersion = init.setVersion;
    this.hosts = [...init.hosts];
    this.primary = init.primary;
  }

  /** Open sockets to this member (server side). */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Awaitable hellos currently held (each owns a timer). */
  get heldHellos(): number {
    return this.held.size;
  }

  /** The member's state changed: bump topologyVersion.counter and wake held hellos. */
  bump(): void {
    this.counter += 1;
    for (const h of [...this.held]) this.fire(h);
  }

  helloReply(socketId: number): Document {
    const base: Document = {
      ...DEFAULT_HELLO_REPLY,
      localTime: new Date(),
      connectionId: socketId,
      me: this.address,
      topologyVersion: { processId: this.processId, counter: Long.fromNumber(this.counter) },
    };
    if (this.role === MemberRole.mongos) return { ...base, isWritablePrimary: true, msg: 'isdbgrid' };
    if (this.role === MemberRole.ghost) {
      return { ...base, isWritablePrimary: false, secondary: false, isreplicaset: true, info: 'Does not have a valid replica set config' };
    }
    const reply: Document = {
      ...base,
      isWritablePrimary: this.role === MemberRole.primary,
      secondary: this.role === MemberRole.secondary,
      setName: this.cluster.setName,
      setVersion: this.setVersion,
      hosts: [...this.hosts],
      lastWrite: { lastWriteDate: new Date() },
    };
    if (Object.keys(this.tags).length > 0) reply.tags = { ...this.tags };
    if (this.primary !== undefined) reply.primary = this.primary;
    if (this.role === MemberRole.primary) reply.electionId = electionIdOf(this.electionId);
    return reply;
  }

  start(): void {
    if (this.server) return;
    this.alive = true;
    this.server = serveFake(this.cluster.net, this.address, (req, ctx) => this.handle(req, ctx));
  }

  /** Refuse new connections and close the existing ones (server side). */
  kill(): void {
    this.alive = false;
    this.server?.stop();
    this.server = undefined;
    for (const h of [...this.held]) this.release(h);
    for (const s of [...this.sockets]) s.close();
    this.sockets.clear();
  }

  private handle(req: FakeRequest, ctx: FakeContext): Document | null {
    const socket = ctx.socket;
    if (!this.sockets.has(socket)) {
      this.sockets.add(socket);
      this.connectionsAccepted += 1;
      socket.onClose(() => {
        this.sockets.delete(socket);
        for (const h of [...this.held]) if (h.socket === socket) this.release(h);
      });
    }
    const name = req.name;
    if (name === 'hello' || name === 'isMaster' || name === 'ismaster') {
      this.onHello(req, ctx);
      return null;
    }
    this.cluster.commands.push({ address: this.address, name, body: req.body, sequences: req.sequences, socketId: socket.id, requestId: req.requestId });
    const rule = this.failRules.find((r) => r.name === name && r.remaining > 0);
    if (rule) {
      rule.remaining -= 1;
      rule.before?.();
      if (rule.action.kind === 'network') {
        socket.close();
        return null;
      }
      ctx.reply(rule.action.reply);
      return null;
    }
    ctx.reply(this.commandReply(req));
    return null;
  }

  private commandReply(req: FakeRequest): Document {
    const body = req.body;
    const isWrite = req.name === 'insert' || req.name === 'update' || req.name === 'delete' || req.name === 'findAndModify';
    if (isWrite && this.role !== MemberRole.primary && this.role !== MemberRole.mongos) {
      return {
        ok: 0,
        code: 10107,
        codeName: 'NotWritablePrimary',
        errmsg: 'not primary',
        topologyVersion: { processId: this.processId, counter: Long.fromNumber(this.counter) },
        // 4.4+ servers label retryable errors of retryable writes themselves.
        ...(body.txnNumber !== undefined ? { errorLabels: ['RetryableWriteError'] } : {}),
      };
    }
    switch (req.name) {
      case 'insert': {
        const docs = req.sequences.documents ?? (body.documents as Document[] | undefined) ?? [];
        return { ok: 1, n: docs.length, ...this.recoveryToken(body) };
      }
      case 'update':
      case 'delete':
        return { ok: 1, n: 0 };
      case 'find':
        return { ok: 1, cursor: { id: Long.ZERO, ns: `${String(body.$db)}.${String(body.find)}`, firstBatch: [] } };
      case 'saslStart':
      case 'saslContinue':
      case 'authenticate':
        // No users here.
        return { ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' };
      default:
        return { ok: 1 };
    }
  }

  /** A mongos returns a recoveryToken with the replies of a transaction's statements. */
  private recoveryToken(body: Document): Document {
    return this.role === MemberRole.mongos && body.autocommit === false ? { recoveryToken: { recoveredBy: this.address } } : {};
  }

  private onHello(req: FakeRequest, ctx: FakeContext): void {
    const tv = req.body.topologyVersion as { processId?: ObjectId; counter?: unknown } | undefined;
    const maxAwait = req.body.maxAwaitTimeMS;
    if (tv === undefined || typeof maxAwait !== 'number') {
      this.sendHello(ctx, req.requestId, false);
      return;
    }
    const held: HeldHello = {
      ctx,
      socket: ctx.socket,
      exhaust: req.exhaustAllowed,
      maxAwaitTimeMS: maxAwait,
      to: req.requestId,
      seen: Number(tv.counter),
      timer: undefined,
    };
    const sameProcess = tv.processId !== undefined && String(tv.processId) === this.processId.toHexString();
    if (!sameProcess || this.counter > held.seen) {
      // Reply at once; with exhaust, keep streaming from there.
      this.held.add(held);
      this.fire(held);
      return;
    }
    this.held.add(held);
    this.arm(held);
  }

  private arm(h: HeldHello): void {
    h.timer = setTimeout(() => {
      h.timer = undefined;
      this.fire(h);
    }, h.maxAwaitTimeMS);
  }

  /** Send the held reply now; keep streaming if exhaust. */
  private fire(h: HeldHello): void {
    if (h.timer !== undefined) clearTimeout(h.timer);
    h.timer = undefined;
    if (h.socket.closed) {
      this.release(h);
      return;
    }
    this.awaitedReplies += 1;
    const sent = this.sendHello(h.ctx, h.to, h.exhaust);
    h.seen = this.counter;
    if (!h.exhaust) {
      this.held.delete(h);
      return;
    }
    h.to = sent;
    this.arm(h);
  }

  private release(h: HeldHello): void {
    if (h.timer !== undefined) clearTimeout(h.timer);
    h.timer = undefined;
    this.held.delete(h);
  }

  private sendHello(ctx: FakeContext, to: number, moreToCome: boolean): number {
    this.hellosAnswered += 1;
    return ctx.reply(this.helloReply(ctx.socket.id), { to, ...(moreToCome ? { moreToCome: true } : {}) });
  }
}

export interface FakeClusterOptions {
  /** Default 'rs'. */
  setName?: string;
  /** Default ['a:27017', 'b:27017', 'c:27017']. */
  hosts?: string[];
  /** Default hosts[0]. */
  primary?: string;
  /** Default microtask, so ordering bugs show. */
  delivery?: MemoryDelivery;
  /** Every host is a mongos (a sharded cluster) instead of a replica set member. */
  mongos?: boolean;
  net?: MemoryNetwork;
}

export class FakeCluster {
  readonly net: MemoryNetwork;
  readonly setName: string;
  readonly members = new Map<string, FakeMember>();
  /** Every non-hello command any member received, in order. */
  readonly commands: RecordedCommand[] = [];
  private lastElectionId = 1;

  constructor(options: FakeClusterOptions = {}) {
    this.net = options.net ?? new MemoryNetwork({ delivery: options.delivery ?? MemoryDelivery.Microtask });
    this.setName = options.setName ?? 'rs';
    const hosts = options.hosts ?? ['a:27017', 'b:27017', 'c:27017'];
    const primary = options.primary ?? hosts[0];
    for (const address of hosts) {
      const m = new FakeMember(this, address, {
        role: options.mongos ? MemberRole.mongos : address === primary ? MemberRole.primary : MemberRole.secondary,
        electionId: this.lastElectionId,
        setVersion: 1,
        hosts,
        primary,
      });
      this.members.set(address, m);
      m.start();
    }
  }

  member(address: string): FakeMember {
    const m = this.members.get(address);
    if (!m) throw new Error(`no member ${address}`);
    return m;
  }

  /** The member that is primary now (the first host when none is, e.g. mongoses). */
  get primaryAddress(): string {
    for (const m of this.members.values()) if (m.role === MemberRole.primary) return m.address;
    return [...this.members.keys()][0]!;
  }

  /** Hello replies sent by all members. */
  get hellosAnswered(): number {
    let n = 0;
    for (const m of this.members.values()) n += m.hellosAnswered;
    return n;
  }

  /** Commands named `name` (all members, in order). */
  commandsNamed(name: string): RecordedCommand[] {
    return this.commands.filter((c) => c.name === name);
  }

  /** The current primary steps down: no member reports a primary. */
  stepDown(address: string): void {
    const m = this.member(address);
    m.role = MemberRole.secondary;
    for (const other of this.members.values()) {
      if (other.role === MemberRole.ghost) continue;
      other.primary = undefined;
      other.bump();
    }
  }

  /**
   * `address` wins an election with a higher electionId. The old primary steps down
   * (or, with keepOldClaim, goes on claiming to be primary with its old electionId,
   * like a partitioned primary that has not noticed yet).
   */
  elect(address: string, options: { keepOldClaim?: boolean; setVersion?: number } = {}): number {
    const electionId = ++this.lastElectionId;
    const winner = this.member(address);
    for (const m of this.members.values()) {
      if (m.role === MemberRole.ghost) continue;
      if (m === winner) {
        m.role = MemberRole.primary;
        m.electionId = electionId;
        if (options.setVersion !== undefined) m.setVersion = options.setVersion;
        m.primary = address;
      } else if (m.role === MemberRole.primary && options.keepOldClaim) {
        // Still believes it is primary.
      } else {
        m.role = MemberRole.secondary;
        m.primary = address;
      }
      m.bump();
    }
    return electionId;
  }

  /** `address` claims to be primary with the given electionId/setVersion (possibly stale). */
  claimPrimary(address: string, claim: { electionId: number; setVersion?: number }): void {
    const m = this.member(address);
    m.role = MemberRole.primary;
    m.electionId = claim.electionId;
    if (claim.setVersion !== undefined) m.setVersion = claim.setVersion;
    m.primary = address;
    m.bump();
  }

  /** Remove `address` from the set's config: the others stop listing it; it becomes a ghost. */
  removeMember(address: string): void {
    const removed = this.member(address);
    for (const m of this.members.values()) {
      if (m === removed) continue;
      m.hosts = m.hosts.filter((h) => h !== address);
      m.setVersion += 1;
      m.bump();
    }
    removed.role = MemberRole.ghost;
    removed.primary = undefined;
    removed.hosts = [];
    removed.bump();
  }

  /** Refuse connections to `address` and close the open ones. */
  kill(address: string): void {
    this.member(address).kill();
  }

  /** Serve `address` again, as a restarted process (new processId). */
  revive(address: string): void {
    const m = this.member(address);
    m.processId = new ObjectId();
    m.counter = 0;
    m.start();
  }

  /** The next `times` commands named `name` on `address` fail with `action`. */
  failCommand(address: string, name: string, action: FailAction, options: { times?: number; before?: () => void } = {}): void {
    this.member(address).failRules.push({ name, remaining: options.times ?? 1, action, before: options.before });
  }

  /** Stop every member: listeners, sockets, held-reply timers. */
  close(): void {
    for (const m of this.members.values()) m.kill();
  }
}

// ---------------------------------------------------------------- topology harness

export interface RecordedEvent {
  readonly name: TopologyEventName;
  readonly payload: TopologyEvents[TopologyEventName];
}

export interface TopologyHarness {
  readonly topology: Topology;
  readonly events: RecordedEvent[];
  /** Pools created, by address (several if a server was removed and re-added). */
  readonly pools: Map<string, Pool[]>;
  /**
   * Resolves with the first event `name` (already recorded or future) whose payload
   * satisfies `predicate`; rejects after `timeoutMS` (default 5000).
   */
  waitFor<K extends TopologyEventName>(
    name: K,
    predicate?: (payload: TopologyEvents[K]) => boolean,
    options?: { timeoutMS?: number; after?: number },
  ): Promise<TopologyEvents[K]>;
  /** Names of the events recorded so far. */
  names(): TopologyEventName[];
}

/** A live Topology on the fake cluster's network, recording every event. */
export function openTopology(
  cluster: FakeCluster,
  overrides: Partial<Omit<TopologyOptions, 'emit' | 'connect' | 'createPool' | 'connectOptions'>> = {},
): TopologyHarness {
  const transport = cluster.net.transport();
  const events: RecordedEvent[] = [];
  const listeners = new Set<(e: RecordedEvent) => void>();
  const pools = new Map<string, Pool[]>();
  const topology = new Topology({
    seeds: ['a:27017'],
    replicaSet: cluster.setName,
    heartbeatFrequencyMS: 10_000,
    localThresholdMS: 15,
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 2_000,
    serverMonitoringMode: 'auto',
    ...overrides,
    connectOptions: { transport },
    connect,
    createPool: (address) => {
      const pool = new Pool({
        address,
        connect: ({ id, generation, signal }) => connect({ transport, address, id, generation, signal, connectTimeoutMS: 2_000 }),
      });
      pools.set(address, [...(pools.get(address) ?? []), pool]);
      return pool;
    },
    emit: (name, payload) => {
      const e: RecordedEvent = { name, payload };
      events.push(e);
      for (const l of [...listeners]) l(e);
    },
  });
  const waitFor = <K extends TopologyEventName>(
    name: K,
    predicate: (payload: TopologyEvents[K]) => boolean = () => true,
    options: { timeoutMS?: number; after?: number } = {},
  ): Promise<TopologyEvents[K]> => {
    const matches = (e: RecordedEvent): boolean => e.name === name && predicate(e.payload as TopologyEvents[K]);
    const past = events.slice(options.after ?? 0).find(matches);
    if (past) return Promise.resolve(past.payload as TopologyEvents[K]);
    return new Promise((resolve, reject) => {
      const timeoutMS = options.timeoutMS ?? 5_000;
      const listener = (e: RecordedEvent): void => {
        if (!matches(e)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(e.payload as TopologyEvents[K]);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`no ${name} event matched within ${timeoutMS} ms`));
      }, timeoutMS);
      listeners.add(listener);
    });
  };
  return { topology, events, pools, waitFor, names: () => events.map((e) => e.name) };
}

/** Wait for `ms` of real time (a window in which something must NOT happen). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
