/**
 * Runs one unified test: initialData, createEntities, the operations (with
 * expectResult / expectError / saveResultAsEntity and the test-runner operations),
 * expectEvents and outcome. Throws on the first failure with a message naming the
 * operation and the mismatch; always closes its entities and turns off the fail
 * points it set.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EJSON } from 'bson';
import type { DriverAdapter } from './drivers.js';
import { EntityMap, type ObservedEvent } from './entities.js';
import { assertMatches, MatchError, type Doc } from './match.js';
import { runEntityOperation, UnsupportedOperation } from './operations.js';
import type { Deployment } from './topologies.js';

/** How long waitForEvent / waitForPrimaryChange / waitForThread wait. */
const WAIT_MS = 10_000;

export class UnifiedTestFailure extends Error {
  override name = 'UnifiedTestFailure';
}

export interface UnifiedFile {
  readonly json: Doc;
}

const show = (v: unknown): string => {
  try {
    return EJSON.stringify(v as Doc, { relaxed: true });
  } catch {
    return String(v);
  }
};

export async function runUnifiedTest(file: Doc, test: Doc, driver: DriverAdapter, deployment: Deployment): Promise<void> {
  const entities = new EntityMap(driver, deployment);
  const failPoints: Array<{ address?: string; name: string }> = [];
  try {
    // Transactions left open by an earlier test would block this one's writes.
    if (usesSessions(file)) await deployment.command({ killAllSessions: [] }).catch(() => undefined);
    await loadInitialData(deployment, (file.initialData as Doc[]) ?? []);
    await entities.create((file.createEntities as Doc[]) ?? []);
    const run = new TestRun(entities, driver, deployment, failPoints);
    await run.operations(test.operations as Doc[]);
    if (test.expectEvents) run.expectEvents(test.expectEvents as Doc[]);
    if (test.outcome) await checkOutcome(deployment, test.outcome as Doc[]);
  } finally {
    await entities.close();
    for (const fp of failPoints) {
      const targets = fp.address ? [fp.address] : deployment.allAddresses;
      await Promise.allSettled(targets.map((a) => deployment.commandAt(a, { configureFailPoint: fp.name, mode: 'off' })));
    }
  }
}

const sessionFiles = new WeakMap<Doc, boolean>();
function usesSessions(file: Doc): boolean {
  let v = sessionFiles.get(file);
  if (v === undefined) {
    v = JSON.stringify(file).includes('"session');
    sessionFiles.set(file, v);
  }
  return v;
}

async function loadInitialData(deployment: Deployment, data: Doc[]): Promise<void> {
  const wc = { w: 'majority' };
  for (const d of data) {
    const $db = d.databaseName as string;
    const dropped = await deployment.command({ drop: d.collectionName, writeConcern: wc, $db });
    if (dropped.ok !== 1 && dropped.code !== 26) throw new UnifiedTestFailure(`initialData: drop ${String(d.collectionName)}: ${show(dropped)}`);
    if ((d.documents as Doc[]).length === 0 || d.createOptions) {
      const r = await deployment.command({ create: d.collectionName, ...((d.createOptions as Doc) ?? {}), writeConcern: wc, $db });
      if (r.ok !== 1) throw new UnifiedTestFailure(`initialData: create ${String(d.collectionName)}: ${show(r)}`);
    }
    if ((d.documents as Doc[]).length) {
      const r = await deployment.command({ insert: d.collectionName, documents: d.documents, writeConcern: wc, $db });
      if (r.ok !== 1 || r.writeErrors) throw new UnifiedTestFailure(`initialData: insert into ${String(d.collectionName)}: ${show(r)}`);
    }
  }
}

async function readCollection(deployment: Deployment, db: string, coll: string): Promise<Doc[]> {
  const r = await deployment.command({ find: coll, filter: {}, sort: { _id: 1 }, batchSize: 100_000, readConcern: { level: 'local' }, $db: db });
  if (r.ok !== 1) throw new UnifiedTestFailure(`outcome: find on ${db}.${coll}: ${show(r)}`);
  return (r.cursor as Doc).firstBatch as Doc[];
}

async function checkOutcome(deployment: Deployment, outcome: Doc[]): Promise<void> {
  for (const o of outcome) {
    const actual = await readCollection(deployment, o.databaseName as string, o.collectionName as string);
    try {
      // outcome documents match exactly: no extra keys at any level
      assertMatches(o.documents, actual, { entity: () => undefined, sessionLsid: () => undefined }, false);
    } catch (e) {
      throw new UnifiedTestFailure(`outcome ${String(o.databaseName)}.${String(o.collectionName)}: ${(e as Error).message}\n  actual: ${show(actual)}`);
    }
  }
}

/** An error a withTransaction callback's operation raised as expected: it goes on to withTransaction unchanged. */
class CallbackError {
  constructor(readonly error: unknown) {}
}

class TestRun {
  constructor(
    readonly entities: EntityMap,
    readonly driver: DriverAdapter,
    readonly deployment: Deployment,
    readonly failPoints: Array<{ address?: string; name: string }>,
  ) {}

  /**
   * `callback`: the operations of a withTransaction callback, whose errors (expected ones
   * too: expectError, ignoreResultAndError) reach withTransaction as the driver raised them
   * (unified test format, "withTransaction").
   */
  async operations(ops: Doc[], callback = false): Promise<void> {
    for (const [i, op] of ops.entries()) {
      try {
        await this.operation(op, callback);
      } catch (e) {
        if (e instanceof CallbackError) throw e.error;
        const msg = e instanceof Error ? e.message : String(e);
        const err = new UnifiedTestFailure(`operation ${i} (${String(op.name)} on ${String(op.object)}): ${msg}`);
        (err as { cause?: unknown }).cause = e;
        throw err;
      }
    }
  }

  async operation(op: Doc, callback = false): Promise<void> {
    const args = (op.arguments as Doc) ?? {};
    if (op.object === 'testRunner' && op.name !== 'createEntities') return this.runnerOperation(op.name as string, args);
    let result: unknown;
    let error: unknown;
    let failed = false;
    try {
      result = await this.entityOperation(op);
    } catch (e) {
      if (e instanceof UnsupportedOperation) throw e;
      failed = true;
      error = e;
    }
    if (op.expectError) {
      if (!failed) throw new UnifiedTestFailure(`expected an error ${show(op.expectError)}, got result ${show(result)}`);
      this.checkError(op.expectError as Doc, error);
      if (callback) throw new CallbackError(error);
      return;
    }
    if (failed && !op.ignoreResultAndError) throw error;
    if (failed && callback) throw new CallbackError(error);
    if (op.expectResult !== undefined) {
      assertMatches(op.expectResult, normalizeResult(result), this.entities);
    }
    if (op.saveResultAsEntity) this.entities.set(op.saveResultAsEntity as string, result);
  }

  async entityOperation(op: Doc): Promise<unknown> {
    const name = op.name as string;
    const object = op.object as string;
    const args = { ...((op.arguments as Doc) ?? {}) };
    if (name === 'createEntities') return this.entities.create(args.entities as Doc[]);
    const target = this.entities.get(object);
    return runEntityOperation(name, {
      entities: this.entities,
      target,
      args,
      object,
      runNested: (ops) => this.operations(ops, true),
    });
  }

  checkError(expected: Doc, error: unknown): void {
    const e = error as Doc & Error;
    const where = `error ${(e?.name as string) ?? typeof e}: ${e?.message ?? String(e)}`;
    const isClient = this.driver.isClientError(e);
    if (expected.isClientError !== undefined && expected.isClientError !== isClient) throw new UnifiedTestFailure(`isClientError ${String(expected.isClientError)}: ${where}`);
    if (expected.isTimeoutError !== undefined && expected.isTimeoutError !== this.driver.isTimeoutError(e)) throw new UnifiedTestFailure(`isTimeoutError ${String(expected.isTimeoutError)}: ${where}`);
    if (expected.errorContains !== undefined && !String(e?.message ?? '').toLowerCase().includes(String(expected.errorContains).toLowerCase())) {
      throw new UnifiedTestFailure(`errorContains ${show(expected.errorContains)}: ${where}`);
    }
    if (expected.errorCode !== undefined && e?.code !== expected.errorCode) throw new UnifiedTestFailure(`errorCode ${String(expected.errorCode)}, got ${String(e?.code)}: ${where}`);
    if (expected.errorCodeName !== undefined && e?.codeName !== expected.errorCodeName) throw new UnifiedTestFailure(`errorCodeName ${String(expected.errorCodeName)}, got ${String(e?.codeName)}: ${where}`);
    const labels: string[] = Array.isArray(e?.errorLabels) ? (e.errorLabels as string[]) : [];
    const has = (l: string): boolean => (typeof e?.hasErrorLabel === 'function' ? Boolean((e.hasErrorLabel as (l: string) => boolean)(l)) : labels.includes(l));
    for (const l of (expected.errorLabelsContain as string[]) ?? []) if (!has(l)) throw new UnifiedTestFailure(`errorLabelsContain ${l}, labels ${show(labels)}: ${where}`);
    for (const l of (expected.errorLabelsOmit as string[]) ?? []) if (has(l)) throw new UnifiedTestFailure(`errorLabelsOmit ${l}, labels ${show(labels)}: ${where}`);
    if (expected.errorResponse !== undefined) assertMatches(expected.errorResponse, e?.errorResponse ?? e, this.entities);
    if (expected.writeErrors !== undefined) {
      const actual: Doc = {};
      const we = e?.writeErrors;
      if (we instanceof Map) for (const [k, v] of we) actual[String(k)] = v;
      else Object.assign(actual, we ?? {});
      assertMatches(expected.writeErrors, actual, this.entities);
      const extra = Object.keys(actual).filter((k) => !(k in (expected.writeErrors as Doc)));
      if (extra.length) throw new UnifiedTestFailure(`writeErrors: unexpected indexes ${extra.join(',')}`);
    }
    if (expected.writeConcernErrors !== undefined) assertMatches(expected.writeConcernErrors, e?.writeConcernErrors ?? [], this.entities);
    if (expected.expectResult !== undefined) {
      const partial = e?.partialResult ?? e?.result;
      assertMatches(expected.expectResult, normalizeResult(partial), this.entities);
    }
  }

  async runnerOperation(name: string, args: Doc): Promise<void> {
    const entities = this.entities;
    switch (name) {
      case 'failPoint': {
        const client = entities.get(args.client as string);
        const fp = args.failPoint as Doc;
        this.failPoints.push({ name: fp.configureFailPoint as string });
        await client.db('admin').command(fp);
        return;
      }
      case 'targetedFailPoint': {
        const session = entities.get(args.session as string);
        const address = this.driver.pinnedAddress(session);
        if (!address) throw new UnifiedTestFailure('targetedFailPoint: the session is not pinned to a server');
        const fp = args.failPoint as Doc;
        this.failPoints.push({ name: fp.configureFailPoint as string, address });
        const r = await this.deployment.commandAt(address, fp);
        if (r.ok !== 1) throw new UnifiedTestFailure(`targetedFailPoint: ${show(r)}`);
        return;
      }
      case 'assertSessionPinned':
      case 'assertSessionUnpinned': {
        const pinned = this.driver.pinnedAddress(entities.get(args.session as string));
        if ((name === 'assertSessionPinned') !== Boolean(pinned)) throw new UnifiedTestFailure(`${name}: pinned to ${String(pinned)}`);
        return;
      }
      case 'assertSessionTransactionState': {
        const state = this.driver.transactionState(entities.get(args.session as string));
        if (state !== args.state) throw new UnifiedTestFailure(`assertSessionTransactionState: expected ${String(args.state)}, got ${state}`);
        return;
      }
      case 'assertSessionDirty':
      case 'assertSessionNotDirty': {
        const dirty = this.driver.isDirty(entities.get(args.session as string));
        if ((name === 'assertSessionDirty') !== dirty) throw new UnifiedTestFailure(`${name}: isDirty is ${String(dirty)}`);
        return;
      }
      case 'assertSameLsidOnLastTwoCommands':
      case 'assertDifferentLsidOnLastTwoCommands': {
        const c = entities.clients.get(args.client as string)!;
        const started = c.events.filter((e) => e.name === 'commandStartedEvent');
        if (started.length < 2) throw new UnifiedTestFailure(`${name}: fewer than two commands observed`);
        const [a, b] = started.slice(-2).map((e) => show(e.event.command?.lsid));
        if ((a === b) !== (name === 'assertSameLsidOnLastTwoCommands')) throw new UnifiedTestFailure(`${name}: ${a} vs ${b}`);
        return;
      }
      case 'assertCollectionExists':
      case 'assertCollectionNotExists': {
        const r = await this.deployment.command({ listCollections: 1, filter: { name: args.collectionName }, nameOnly: true, $db: args.databaseName });
        const exists = ((r.cursor as Doc).firstBatch as Doc[]).length > 0;
        if (exists !== (name === 'assertCollectionExists')) throw new UnifiedTestFailure(`${name}: ${String(args.databaseName)}.${String(args.collectionName)} exists=${String(exists)}`);
        return;
      }
      case 'assertIndexExists':
      case 'assertIndexNotExists': {
        const r = await this.deployment.command({ listIndexes: args.collectionName, $db: args.databaseName });
        const names = r.ok === 1 ? ((r.cursor as Doc).firstBatch as Doc[]).map((i) => i.name) : [];
        const exists = names.includes(args.indexName);
        if (exists !== (name === 'assertIndexExists')) throw new UnifiedTestFailure(`${name}: ${String(args.indexName)} in ${show(names)}`);
        return;
      }
      case 'assertNumberConnectionsCheckedOut': {
        const n = entities.clients.get(args.client as string)!.checkedOut;
        if (n !== args.connections) throw new UnifiedTestFailure(`assertNumberConnectionsCheckedOut: ${n} checked out, expected ${String(args.connections)}`);
        return;
      }
      case 'waitForEvent': {
        const deadline = Date.now() + WAIT_MS;
        while (this.countEvents(args) < (args.count as number)) {
          if (Date.now() > deadline) throw new UnifiedTestFailure(`waitForEvent: ${show(args.event)} seen ${this.countEvents(args)} times, expected ${String(args.count)} within ${WAIT_MS} ms`);
          await sleep(20);
        }
        return;
      }
      case 'assertEventCount': {
        const n = this.countEvents(args);
        if (n !== args.count) throw new UnifiedTestFailure(`assertEventCount: ${show(args.event)} seen ${n} times, expected ${String(args.count)}`);
        return;
      }
      case 'runOnThread': {
        const t = entities.threads.get(args.thread as string);
        if (!t) throw new UnifiedTestFailure(`no thread ${String(args.thread)}`);
        t.chain = t.chain.then(async () => {
          if (t.error) return;
          try {
            await this.operation(args.operation as Doc);
          } catch (e) {
            t.error = e;
          }
        });
        return;
      }
      case 'waitForThread': {
        const t = entities.threads.get(args.thread as string);
        if (!t) throw new UnifiedTestFailure(`no thread ${String(args.thread)}`);
        await t.chain;
        if (t.error) throw t.error;
        return;
      }
      case 'wait':
        await sleep(args.ms as number);
        return;
      case 'loop':
        throw new UnsupportedOperation('loop: only for the astrolabe workload executor');
      default:
        throw new UnsupportedOperation(`test runner operation ${name} is not supported`);
    }
  }

  countEvents(args: Doc): number {
    const c = this.entities.clients.get(args.client as string)!;
    const [name, spec] = Object.entries(args.event as Doc)[0] as [string, Doc];
    return allEvents(c).filter((e) => e.name === name && eventMatches(spec, e, this.entities)).length;
  }

  expectEvents(list: Doc[]): void {
    for (const exp of list) {
      const c = this.entities.clients.get(exp.client as string);
      if (!c) throw new UnifiedTestFailure(`expectEvents: no client ${String(exp.client)}`);
      const kind = (exp.eventType as string) ?? 'command';
      const actual = c.events.filter((e) => e.kind === kind);
      const expected = exp.events as Doc[];
      const names = actual.map((e) => `${e.name}${e.event.commandName ? `(${String(e.event.commandName)})` : ''}`).join(', ');
      if (exp.ignoreExtraEvents ? actual.length < expected.length : actual.length !== expected.length) {
        throw new UnifiedTestFailure(`expectEvents ${String(exp.client)}/${kind}: expected ${expected.length} events, got ${actual.length}: ${names}`);
      }
      expected.forEach((e, i) => {
        const [name, spec] = Object.entries(e)[0] as [string, Doc];
        const a = actual[i]!;
        if (a.name !== name) throw new UnifiedTestFailure(`expectEvents ${String(exp.client)}[${i}]: expected ${name}, got ${a.name}; all: ${names}`);
        try {
          assertEventMatches(spec, a, this.entities);
        } catch (err) {
          if (err instanceof MatchError) throw new UnifiedTestFailure(`expectEvents ${String(exp.client)}[${i}] ${name}: ${err.message}`);
          throw err;
        }
      });
    }
  }
}

/** Each named field of an expected event matches as a root-level value (command and reply documents may hold extra keys). */
function assertEventMatches(spec: Doc, e: ObservedEvent, ctx: EntityMap): void {
  const view = eventView(e);
  for (const [k, v] of Object.entries(spec)) assertMatches(v, view[k], ctx, true, k);
}

function eventMatches(spec: Doc, e: ObservedEvent, ctx: EntityMap): boolean {
  try {
    assertEventMatches(spec, e, ctx);
    return true;
  } catch (err) {
    if (err instanceof MatchError) return false;
    throw err;
  }
}

function allEvents(c: { events: ObservedEvent[] }): ObservedEvent[] {
  return c.events;
}

/** The fields of an event the unified format names, from either driver's event object. */
function eventView(o: ObservedEvent): Doc {
  const e = o.event;
  switch (o.name) {
    case 'commandStartedEvent':
      return { command: e.command, commandName: e.commandName, databaseName: e.databaseName, hasServiceId: e.serviceId != null, hasServerConnectionId: e.serverConnectionId != null };
    case 'commandSucceededEvent':
      return { reply: e.reply, commandName: e.commandName, databaseName: e.databaseName ?? e.databaseName, hasServiceId: e.serviceId != null, hasServerConnectionId: e.serverConnectionId != null };
    case 'commandFailedEvent':
      return { commandName: e.commandName, databaseName: e.databaseName, hasServiceId: e.serviceId != null, hasServerConnectionId: e.serverConnectionId != null };
    case 'poolClearedEvent':
      return { hasServiceId: e.serviceId != null, interruptInUseConnections: Boolean(e.interruptInUseConnections) };
    case 'serverDescriptionChangedEvent':
    case 'topologyDescriptionChangedEvent':
      return { previousDescription: { type: e.previousDescription?.type }, newDescription: { type: e.newDescription?.type } };
    case 'serverHeartbeatStartedEvent':
    case 'serverHeartbeatSucceededEvent':
    case 'serverHeartbeatFailedEvent':
      return { awaited: Boolean(e.awaited) };
    default:
      return { ...e, reason: e.reason };
  }
}

/** Driver results as the format sees them (Maps as documents, class instances as their fields). */
function normalizeResult(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), normalizeResult(x)]));
  if (v && typeof v === 'object' && (v.constructor?.name === 'BulkWriteResult' || v.constructor?.name === 'ClientBulkWriteResult')) {
    const r = v as Doc;
    const out: Doc = {};
    for (const k of ['insertedCount', 'matchedCount', 'modifiedCount', 'deletedCount', 'upsertedCount', 'upsertedIds', 'insertedIds', 'insertResults', 'updateResults', 'deleteResults']) {
      if (r[k] !== undefined) out[k] = normalizeResult(r[k]);
    }
    return out;
  }
  return v;
}
