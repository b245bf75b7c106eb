/**
 * The three MongoClient contenders of the client-level sections, behind one small
 * interface so a task is written once: ours over TCP (`@mongo-edge/core/node`), the
 * official `mongodb` driver, and ours through the bridge (WebSocketTransport over `ws`
 * to a bridge that runs in a child process, so its CPU is not charged to this one).
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { MongoClient as OfficialClient } from 'mongodb';
import { MongoClient as OurClient, WebSocketTransport, type MongoClientOptions } from '@mongo-edge/core/node';
import { signBridgeToken } from '@mongo-edge/bridge';
import { forkTs, type TsChild } from './children.js';

export const CONTENDERS = ['official', 'ours_tcp', 'ours_bridge'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

/** The collection surface the tasks use; both drivers' collections fit it. */
export interface AnyCollection {
  findOne(filter: Record<string, unknown>): Promise<unknown>;
  insertOne(doc: Record<string, unknown>): Promise<unknown>;
  insertMany(docs: Array<Record<string, unknown>>): Promise<unknown>;
  find(filter: Record<string, unknown>): AsyncIterable<unknown>;
  drop(): Promise<unknown>;
}

export interface AnyDb {
  command(cmd: Record<string, unknown>): Promise<unknown>;
  collection(name: string, options?: { writeConcern?: { w?: number | string } }): AnyCollection;
  createCollection(name: string): Promise<unknown>;
}

export interface AnyClient {
  db(name: string): AnyDb;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  on(event: string, listener: (payload: never) => void): unknown;
}

/** A bridge in a child process, with a signed token for it. */
export interface BridgeProcess {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  stop(): Promise<void>;
}

export async function startBridgeChild(): Promise<BridgeProcess> {
  const jwtSecret = randomBytes(32).toString('hex');
  const child: TsChild<{ port: number; url: string }> = await forkTs('bridge-child.ts', [
    JSON.stringify({ port: 0, host: '127.0.0.1', allow: ['127.0.0.1:*', 'localhost:*'], jwtSecret, shutdownTimeoutMs: 0 }),
  ]);
  const token = await signBridgeToken(jwtSecret, { expiresInSeconds: 3600 });
  return { url: child.hello.url, port: child.hello.port, token, stop: () => child.stop() };
}

/** `ws://host:port/path` of the bridge with another port (to go through a proxy in front of it). */
export function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

export function ourTcpClient(uri: string, options: MongoClientOptions = {}): AnyClient {
  return new OurClient(uri, options) as unknown as AnyClient;
}

export function ourBridgeClient(uri: string, bridgeUrl: string, token: string, options: MongoClientOptions = {}): AnyClient {
  // A factory: the client owns the transport (closes its WebSocket on close()).
  const transport = () => new WebSocketTransport({ url: bridgeUrl, token, WebSocket: WebSocket as never });
  return new OurClient(uri, { ...options, transport }) as unknown as AnyClient;
}

export function officialClient(uri: string, options: Record<string, unknown> = {}): AnyClient {
  return new OfficialClient(uri, options) as unknown as AnyClient;
}
