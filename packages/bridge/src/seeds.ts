/**
 * Seed discovery: the bridge also allows the members its seeds report. Every
 * refresh it runs `hello` (raw TCP/TLS, the core wire codec) against the seeds and
 * the members it already knows, and allows seeds + hosts + passives + arbiters.
 * A refresh in which no server answers keeps the previous set.
 * (A simple stand-in until the core's SDAM monitor can be reused here.)
 */
import net from 'node:net';
import tls from 'node:tls';
import { MessageFramer, decodeOpMsg, encodeOpMsg, newRequestId } from '@mongo-edge/core/internal';
import { parseHostPort, targetKey, type TargetAddress } from './allowlist.js';
import type { Logger } from './log.js';

export interface SeedList {
  hosts: TargetAddress[];
  tls: boolean;
  allowInvalidCertificates: boolean;
}

/** The parts of a mongodb:// connection string the seed watcher needs. */
export function parseSeeds(uri: string): SeedList {
  const m = /^mongodb:\/\/(?:[^@/]*@)?([^/?]+)(?:\/[^?]*)?(?:\?(.*))?$/.exec(uri);
  if (!m) throw new Error('seeds must look like mongodb://host1:port,host2:port/?options');
  const hosts: TargetAddress[] = [];
  for (const part of m[1]!.split(',')) {
    const a = parseHostPort(decodeURIComponent(part));
    if (!a) throw new Error(`bad seed host "${part}"`);
    hosts.push(a);
  }
  const params = new URLSearchParams(m[2] ?? '');
  const flag = (k: string) => [...params.entries()].some(([key, v]) => key.toLowerCase() === k.toLowerCase() && v === 'true');
  return {
    hosts,
    tls: flag('tls') || flag('ssl'),
    allowInvalidCertificates: flag('tlsAllowInvalidCertificates') || flag('tlsInsecure'),
  };
}

export interface SeedWatcherOptions {
  refreshMs: number;
  timeoutMs: number;
  log: Logger;
  onUpdate(keys: ReadonlySet<string>): void;
}

export class SeedWatcher {
  #timer: ReturnType<typeof setInterval> | undefined;
  #known = new Set<string>();
  readonly #sockets = new Set<net.Socket>();
  #closed = false;
  #running: Promise<void> | undefined;
  readonly #seeds: SeedList;
  readonly #options: SeedWatcherOptions;

  constructor(seeds: SeedList, options: SeedWatcherOptions) {
    this.#seeds = seeds;
    this.#options = options;
    for (const h of seeds.hosts) this.#known.add(targetKey(h.host, h.port));
  }

  get hosts(): ReadonlySet<string> {
    return this.#known;
  }

  /** First refresh, then one every refreshMs. */
  async start(): Promise<void> {
    this.#options.onUpdate(this.#known);
    await this.refresh();
    if (!this.#closed) this.#timer = setInterval(() => void this.refresh(), this.#options.refreshMs);
  }

  refresh(): Promise<void> {
    this.#running ??= this.#doRefresh().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #doRefresh(): Promise<void> {
    const targets = new Map<string, TargetAddress>();
    for (const h of this.#seeds.hosts) targets.set(targetKey(h.host, h.port), h);
    for (const k of this.#known) {
      const a = parseHostPort(k);
      if (a) targets.set(k, a);
    }
    const results = await Promise.all([...targets.values()].map((t) => this.#probe(t)));
    if (this.#closed) return;
    const next = new Set<string>(this.#seeds.hosts.map((h) => targetKey(h.host, h.port)));
    let answered = 0;
    for (const r of results) {
      if (!r) continue;
      answered += 1;
      for (const h of r) {
        const a = parseHostPort(h);
        if (a) next.add(targetKey(a.host, a.port));
      }
    }
    if (answered === 0) {
      this.#options.log.warn('seeds.unreachable', { seeds: [...targets.keys()] });
      return;
    }
    const changed = next.size !== this.#known.size || [...next].some((k) => !this.#known.has(k));
    this.#known = next;
    if (changed) {
      this.#options.log.info('seeds.updated', { hosts: [...next] });
      this.#options.onUpdate(next);
    }
  }

  /** hello on one server; its hosts/passives/arbiters/me, or undefined on any failure. */
  #probe(target: TargetAddress): Promise<string[] | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const socket: net.Socket = this.#seeds.tls
        ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host, rejectUnauthorized: !this.#seeds.allowInvalidCertificates })
        : net.connect({ host: target.host, port: target.port });
      this.#sockets.add(socket);
      const finish = (value: string[] | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#sockets.delete(socket);
        socket.destroy();
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), this.#options.timeoutMs);
      const framer = new MessageFramer(16 * 1024 * 1024);
      socket.on(this.#seeds.tls ? 'secureConnect' : 'connect', () => {
        for (const c of encodeOpMsg({ requestId: newRequestId(), body: { hello: 1, $db: 'admin' } })) socket.write(c);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          const [message] = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if (!message) return;
          const body = decodeOpMsg(message).body;
          const list: string[] = [];
          for (const key of ['hosts', 'passives', 'arbiters']) {
            const v = body[key];
            if (Array.isArray(v)) for (const h of v) if (typeof h === 'string') list.push(h);
          }
          if (typeof body.me === 'string') list.push(body.me);
          // A server that still reports a replica set name is still a member.
          if (typeof body.setName === 'string') list.push(targetKey(target.host, target.port));
          finish(list);
        } catch {
          finish(undefined);
        }
      });
      socket.on('error', () => finish(undefined));
      socket.on('close', () => finish(undefined));
    });
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }
}
