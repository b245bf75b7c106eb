/**
 * Append-only journal under --dbpath. One file, `journal.sim`, made of records:
 *
 *   int32 LE  recordLength  (8 + bsonLength)
 *   uint32 LE crc32c(bson)
 *   bytes     bson          (one write entry, see engine.ts `WriteEntry`)
 *
 * fsync policy: every record is written with fs.writeSync before the write's reply is
 * sent (so an acknowledged write survives `kill -9` of the process); the file is
 * fdatasync'd at most every `syncIntervalMs` (default 100 ms, like mongod's
 * journalCommitInterval), immediately for a write with `j: true`, and on close.
 * On start the file is replayed; a truncated or corrupt tail (a crash mid-append) is
 * ignored and cut off. When the journal holds far more records than live state it is
 * compacted: the current state is written to `journal.sim.tmp`, fsync'd and renamed.
 */
import { closeSync, existsSync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, ftruncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { BSON } from 'bson';
import { crc32c } from '@mongo-edge/core/internal';
import type { Doc } from './values.js';

export const JOURNAL_FILE = 'journal.sim';
const HEADER = 8;

/** How bytes read back from the journal are decoded: types kept exactly. */
export const TYPED_BSON = { promoteValues: false, promoteBuffers: false } as const;

export interface ReplayResult {
  readonly entries: Doc[];
  readonly validBytes: number;
  readonly discardedBytes: number;
}

export function encodeRecord(entry: Doc): Uint8Array {
  const bson = BSON.serialize(entry);
  const rec = new Uint8Array(HEADER + bson.byteLength);
  const v = new DataView(rec.buffer);
  v.setInt32(0, rec.byteLength, true);
  v.setUint32(4, crc32c(bson), true);
  rec.set(bson, HEADER);
  return rec;
}

export function decodeRecords(bytes: Uint8Array): ReplayResult {
  const entries: Doc[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o + HEADER <= bytes.byteLength) {
    const len = v.getInt32(o, true);
    if (len < HEADER + 5 || o + len > bytes.byteLength) break;
    const bson = bytes.subarray(o + HEADER, o + len);
    if (crc32c(bson) !== v.getUint32(o + 4, true)) break;
    try {
      entries.push(BSON.deserialize(bson, TYPED_BSON) as Doc);
    } catch {
      break;
    }
    o += len;
  }
  return { entries, validBytes: o, discardedBytes: bytes.byteLength - o };
}

export class Journal {
  private fd: number;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  readonly file: string;
  records = 0;

  constructor(
    readonly dir: string,
    readonly syncIntervalMs = 100,
  ) {
    this.file = path.join(dir, JOURNAL_FILE);
    this.fd = openSync(this.file, existsSync(this.file) ? 'r+' : 'w+');
  }

  /** Reads every intact record; cuts a torn tail off the file. */
  replay(): ReplayResult {
    const bytes = readFileSync(this.file);
    const res = decodeRecords(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (res.discardedBytes > 0) ftruncateSync(this.fd, res.validBytes);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.records = res.entries.length;
    return res;
  }

  private pending: Uint8Array[] = [];
  private pendingSync = false;

  /** Appends a record; with `defer`, it is buffered until commit() (one write for a group). */
  append(entry: Doc, sync = false, defer = false): void {
    this.pending.push(encodeRecord(entry));
    this.pendingSync ||= sync;
    if (!defer) this.commit();
  }

  /** Writes the buffered records with a single write(2). */
  commit(): void {
    if (this.pending.length === 0) return;
    const recs = this.pending;
    const sync = this.pendingSync;
    this.pending = [];
    this.pendingSync = false;
    let rec: Uint8Array;
    if (recs.length === 1) rec = recs[0]!;
    else {
      let len = 0;
      for (const r of recs) len += r.byteLength;
      rec = new Uint8Array(len);
      let o = 0;
      for (const r of recs) {
        rec.set(r, o);
        o += r.byteLength;
      }
    }
    let off = 0;
    while (off < rec.byteLength) off += writeSync(this.fd, rec, off, rec.byteLength - off);
    this.records += recs.length;
    if (sync) {
      fdatasyncSync(this.fd);
      this.dirty = false;
      return;
    }
    this.dirty = true;
    if (!this.timer && this.syncIntervalMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.sync();
      }, this.syncIntervalMs);
      this.timer.unref();
    }
  }

  sync(): void {
    this.commit();
    if (!this.dirty) return;
    fdatasyncSync(this.fd);
    this.dirty = false;
  }

  /** Replaces the journal with `entries` (the current state) atomically. */
  compact(entries: Iterable<Doc>): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    let n = 0;
    for (const e of entries) {
      const rec = encodeRecord(e);
      let off = 0;
      while (off < rec.byteLength) off += writeSync(fd, rec, off, rec.byteLength - off);
      n++;
    }
    fsyncSync(fd);
    closeSync(fd);
    closeSync(this.fd);
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, 'a');
    this.records = n;
    this.dirty = false;
  }

  close(): void {
    this.commit();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.sync();
    } finally {
      closeSync(this.fd);
    }
  }
}
