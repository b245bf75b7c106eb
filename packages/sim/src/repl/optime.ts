/** OpTimes ({ ts: Timestamp, t: Long }) and the node's logical clock. */
import { Long, Timestamp } from 'bson';

export interface OpTime {
  readonly ts: Timestamp;
  readonly t: number;
}

export const NULL_OPTIME: OpTime = Object.freeze({ ts: new Timestamp({ t: 0, i: 0 }), t: -1 });

export function tsCompare(a: Timestamp, b: Timestamp): number {
  return a.t !== b.t ? (a.t < b.t ? -1 : 1) : a.i === b.i ? 0 : a.i < b.i ? -1 : 1;
}

/** Orders by term, then timestamp (how pv1 compares optimes). */
export function opTimeCompare(a: OpTime, b: OpTime): number {
  if (a.t !== b.t) return a.t < b.t ? -1 : 1;
  return tsCompare(a.ts, b.ts);
}

export function isNull(o: OpTime): boolean {
  return o.ts.t === 0 && o.ts.i === 0;
}

export function toWire(o: OpTime): { ts: Timestamp; t: Long } {
  return { ts: o.ts, t: Long.fromNumber(o.t) };
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as Long).toNumber();
  if (v && typeof v === 'object' && 'valueOf' in v) return Number((v as { valueOf(): unknown }).valueOf());
  return Number.NaN;
}

export function asNumber(v: unknown, dflt = 0): number {
  const n = num(v);
  return Number.isFinite(n) ? n : dflt;
}

/** Reads { ts, t } from a document (typed or not). */
export function fromWire(v: unknown): OpTime {
  if (!v || typeof v !== 'object') return NULL_OPTIME;
  const d = v as { ts?: unknown; t?: unknown };
  if (!(d.ts instanceof Timestamp)) return NULL_OPTIME;
  return { ts: d.ts, t: asNumber(d.t, -1) };
}

/** An optime as mongod logs it. */
export function formatOpTime(o: OpTime): string {
  return `{ ts: Timestamp(${o.ts.t}, ${o.ts.i}), t: ${o.t} }`;
}

export function tsDate(ts: Timestamp): Date {
  return new Date(ts.t * 1000);
}

/** The logical clock: hands out strictly increasing oplog timestamps, advanced by gossip. */
export class LogicalClock {
  private last = new Timestamp({ t: 0, i: 0 });

  now(): Timestamp {
    return this.last;
  }

  advance(ts: Timestamp): void {
    if (tsCompare(ts, this.last) > 0) this.last = ts;
  }

  reserve(): Timestamp {
    const secs = Math.floor(Date.now() / 1000);
    const next = secs > this.last.t ? new Timestamp({ t: secs, i: 1 }) : new Timestamp({ t: this.last.t, i: this.last.i + 1 });
    this.last = next;
    return next;
  }
}

/** mongod's electionId: 0x7fffffff then the term as a big-endian int64. */
export function electionIdForTerm(term: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x7fffffff);
  v.setBigInt64(4, BigInt(term));
  return b;
}
