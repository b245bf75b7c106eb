/**
 * A secured deployment end to end: a three-member set with --keyFile (so --auth) and
 * TLS for clients (preferTLS: members talk to each other in plain TCP, clients use
 * TLS). Our client authenticates with SCRAM-SHA-256 over TLS, survives a kill -9 of
 * the primary, and does the same through the bridge, which makes the TLS connection
 * to the members itself (the client never sees their certificate).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MongoClient as NodeMongoClient, MongoClient, MongoServerError, WebSocketTransport } from '@mongo-edge/core/node';
import { startBridge, type BridgeHandle } from '@mongo-edge/bridge';
import { startCluster, type Cluster } from '@mongo-edge/sim';
import { makeTestCerts, type TestCerts } from '../../../sim/test/auth-certs.js';

const USER = 'app';
const PASSWORD = 'p@ss w0rd/with:odd%chars';
const TOKEN = 'secure-cluster-bridge-token-0123456789';

let certs: TestCerts;
let dir: string;
let cluster: Cluster;
let bridge: BridgeHandle;
const clients: MongoClient[] = [];

function uri(extra = ''): string {
  const hosts = cluster.members.map((m) => m.host).join(',');
  return `mongodb://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@${hosts}/?replicaSet=secure&tls=true${extra}`;
}

beforeAll(async () => {
  certs = makeTestCerts();
  dir = mkdtempSync(path.join(os.tmpdir(), 'secure-cluster-'));
  const keyFile = path.join(dir, 'keyfile');
  writeFileSync(keyFile, 'c2VjdXJlLWNsdXN0ZXIta2V5LWZvci10ZXN0cw\n');
  chmodSync(keyFile, 0o600);
  cluster = await startCluster({
    members: 3,
    replSet: 'secure',
    hostname: 'localhost',
    keyFile,
    args: ['--tlsMode', 'preferTLS', '--tlsCertificateKeyFile', certs.serverPem],
  });
  const primary = await cluster.primary();
  await cluster.command(primary.index, { createUser: USER, pwd: PASSWORD, roles: ['root'], $db: 'admin' });
  await cluster.waitForSecondaries();
  bridge = await startBridge({
    port: 0,
    allow: cluster.members.map((m) => m.host),
    tokens: [TOKEN],
    requireTargetTls: true,
    targetCa: readFileSync(certs.caFile, 'utf8'),
    log: () => {},
  });
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await bridge?.close();
  await cluster?.stop();
  certs?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('a --keyFile replica set with TLS', () => {
  it('our client authenticates over TLS, and a kill -9 of the primary is survived by retryable writes', async () => {
    const client = new NodeMongoClient(uri(`&tlsCAFile=${encodeURIComponent(certs.caFile)}`));
    clients.push(client);
    const coll = client.db('app').collection<{ _id: number }>('c');
    await coll.insertOne({ _id: 1 });
    const primary = await cluster.primary();
    await cluster.kill(primary.index, 'SIGKILL');
    await coll.insertOne({ _id: 2 }); // retried on the newly elected primary
    expect(await coll.countDocuments()).toBe(2);
    expect(client.address).not.toBe(primary.host);
    await cluster.restart(primary.index);
    await cluster.waitForSecondaries();
  }, 90_000);

  it('a wrong password is AuthenticationFailed (18) and the password appears in no message', async () => {
    const bad = new NodeMongoClient(
      `mongodb://${USER}:wrong-secret@${cluster.members[0]!.host}/?replicaSet=secure&tls=true&serverSelectionTimeoutMS=3000&tlsCAFile=${encodeURIComponent(certs.caFile)}`,
    );
    clients.push(bad);
    const error = await bad.db('app').collection('c').findOne().then(
      () => undefined,
      (e: unknown) => e,
    );
    const chain: string[] = [];
    for (let e = error as Error | undefined; e; e = e.cause as Error | undefined) chain.push(String(e.message));
    expect(chain.join(' | ')).not.toContain('wrong-secret');
    const serverError = [error, (error as Error).cause].find((e) => e instanceof MongoServerError) as MongoServerError | undefined;
    expect(serverError?.code).toBe(18);
  }, 60_000);

  it('through the bridge: SCRAM from the client, TLS from the bridge to the members', async () => {
    const client = new MongoClient(uri(), {
      transport: () => new WebSocketTransport({ url: bridge.url, token: TOKEN, WebSocket: WebSocket as never }),
    });
    clients.push(client);
    const coll = client.db('app').collection<{ _id: number; via?: string }>('c');
    await coll.insertOne({ _id: 3, via: 'bridge' });
    expect(await coll.findOne({ _id: 3 })).toEqual({ _id: 3, via: 'bridge' });
    expect(client.topologyDescription?.type).toBe('ReplicaSetWithPrimary');
  }, 60_000);
});
