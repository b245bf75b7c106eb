/** Write results shaped like the official driver's. */
import type { Document } from '../errors.js';
import type { InferIdType, WithId } from './types.js';

export interface InsertOneResult<TSchema = Document> {
  acknowledged: boolean;
  insertedId: InferIdType<TSchema>;
}

export interface InsertManyResult<TSchema = Document> {
  acknowledged: boolean;
  insertedCount: number;
  insertedIds: { [key: number]: InferIdType<TSchema> };
}

export interface UpdateResult<TSchema = Document> {
  acknowledged: boolean;
  matchedCount: number;
  modifiedCount: number;
  upsertedCount: number;
  upsertedId: InferIdType<TSchema> | null;
}

export interface DeleteResult {
  acknowledged: boolean;
  deletedCount: number;
}

export interface ModifyResult<TSchema = Document> {
  value: WithId<TSchema> | null;
  lastErrorObject?: Document;
  ok: 0 | 1;
}

/** One failed statement of a write command; `index` is the position in the caller's list. */
export class WriteError {
  readonly err: Document & { index: number; code: number; errmsg?: string; errInfo?: Document; op?: unknown };
  constructor(err: Document & { index: number; code: number }) {
    this.err = err;
  }
  get code(): number {
    return this.err.code;
  }
  get index(): number {
    return this.err.index;
  }
  get errmsg(): string | undefined {
    return this.err.errmsg;
  }
  get errInfo(): Document | undefined {
    return this.err.errInfo;
  }
  getOperation(): Document {
    return (this.err.op ?? {}) as Document;
  }
  toJSON(): Document {
    return { code: this.err.code, index: this.err.index, errmsg: this.err.errmsg, op: this.err.op };
  }
  toString(): string {
    return `WriteError(${JSON.stringify(this.toJSON())})`;
  }
}

export class WriteConcernError {
  readonly serverError: Document;
  constructor(error: Document) {
    this.serverError = error;
  }
  get code(): number | undefined {
    return typeof this.serverError.code === 'number' ? this.serverError.code : undefined;
  }
  get errmsg(): string | undefined {
    return typeof this.serverError.errmsg === 'string' ? this.serverError.errmsg : undefined;
  }
  get errInfo(): Document | undefined {
    return this.serverError.errInfo as Document | undefined;
  }
  toJSON(): Document {
    return { ...this.serverError };
  }
}

/** Accumulated over all batches of a bulk write. */
export interface BulkResultState {
  ok: number;
  nInserted: number;
  nUpserted: number;
  nMatched: number;
  nModified: number;
  nRemoved: number;
  /** Successful inserts: { index, _id } with index into the caller's list. */
  insertedIds: Array<{ index: number; _id: unknown }>;
  upserted: Array<{ index: number; _id: unknown }>;
  writeErrors: WriteError[];
  writeConcernErrors: WriteConcernError[];
}

export function emptyBulkState(): BulkResultState {
  return {
    ok: 1,
    nInserted: 0,
    nUpserted: 0,
    nMatched: 0,
    nModified: 0,
    nRemoved: 0,
    insertedIds: [],
    upserted: [],
    writeErrors: [],
    writeConcernErrors: [],
  };
}

export class BulkWriteResult {
  readonly insertedCount: number;
  readonly matchedCount: number;
  readonly modifiedCount: number;
  readonly deletedCount: number;
  readonly upsertedCount: number;
  readonly insertedIds: { [key: number]: any };
  readonly upsertedIds: { [key: number]: any };
  readonly #result: BulkResultState;

  constructor(result: BulkResultState) {
    this.#result = result;
    this.insertedCount = result.nInserted;
    this.matchedCount = result.nMatched;
    this.modifiedCount = result.nModified;
    this.deletedCount = result.nRemoved;
    this.upsertedCount = result.upserted.length;
    this.insertedIds = idMap(result.insertedIds);
    this.upsertedIds = idMap(result.upserted);
  }

  get ok(): number {
    return this.#result.ok;
  }
  getUpsertedIdAt(index: number): Document | undefined {
    return this.#result.upserted[index] as Document | undefined;
  }
  getRawResponse(): Document {
    return this.#result as unknown as Document;
  }
  hasWriteErrors(): boolean {
    return this.getWriteErrorCount() > 0;
  }
  getWriteErrorCount(): number {
    return this.#result.writeErrors.length;
  }
  getWriteErrorAt(index: number): WriteError | undefined {
    return this.#result.writeErrors[index];
  }
  getWriteErrors(): WriteError[] {
    return [...this.#result.writeErrors];
  }
  getWriteConcernError(): WriteConcernError | undefined {
    const list = this.#result.writeConcernErrors;
    if (list.length < 2) return list[0];
    return new WriteConcernError({
      code: list[0]!.code,
      errmsg: list.map((e) => e.errmsg).join(' and '),
    });
  }
  isOk(): boolean {
    return this.ok === 1;
  }
  toString(): string {
    const { insertedCount, matchedCount, modifiedCount, deletedCount, upsertedCount } = this;
    return `BulkWriteResult(${JSON.stringify({ insertedCount, matchedCount, modifiedCount, deletedCount, upsertedCount })})`;
  }
}

function idMap(list: Array<{ index: number; _id: unknown }>): { [key: number]: any } {
  const out: { [key: number]: any } = {};
  for (const { index, _id } of list) out[index] = _id;
  return out;
}
