/**
 * ReadConcern, shaped like the official driver's (`new ReadConcern(level)`,
 * `ReadConcern.fromOptions`, `level`). Any level string is accepted, for forward
 * compatibility with the server (Read and Write Concern spec). Immutable.
 */
import { MongoInvalidArgumentError, type Document } from '../errors.js';
import { keyMirror } from '../util/key-mirror.js';

export const ReadConcernLevel = keyMirror('local', 'majority', 'linearizable', 'available', 'snapshot');
export type ReadConcernLevel = (typeof ReadConcernLevel)[keyof typeof ReadConcernLevel];

export type ReadConcernLike = ReadConcern | { level?: ReadConcernLevel | (string & {}) | undefined } | ReadConcernLevel | (string & {});

export class ReadConcern {
  /** undefined = the server's default read concern. */
  readonly level: ReadConcernLevel | (string & {}) | undefined;

  constructor(level?: ReadConcernLevel | (string & {})) {
    if (level !== undefined && (typeof level !== 'string' || level === '')) {
      throw new MongoInvalidArgumentError(`Invalid read concern level ${JSON.stringify(level)}`);
    }
    this.level = level;
    Object.freeze(this);
  }

  static readonly LOCAL = ReadConcernLevel.local;
  static readonly MAJORITY = ReadConcernLevel.majority;
  static readonly LINEARIZABLE = ReadConcernLevel.linearizable;
  static readonly AVAILABLE = ReadConcernLevel.available;
  static readonly SNAPSHOT = ReadConcernLevel.snapshot;

  /**
   * Reads `{ readConcern: ReadConcernLike }` or `{ readConcernLevel }` (URI spelling);
   * undefined if neither is set.
   */
  static fromOptions(options?: { readConcern?: ReadConcernLike | undefined; readConcernLevel?: string | undefined; level?: string | undefined }): ReadConcern | undefined {
    if (options === undefined || options === null) return undefined;
    const rc = options.readConcern;
    if (rc instanceof ReadConcern) return rc;
    if (typeof rc === 'string') return new ReadConcern(rc);
    if (rc !== undefined && rc !== null && typeof rc === 'object') return new ReadConcern(rc.level);
    if (options.readConcernLevel !== undefined) return new ReadConcern(options.readConcernLevel);
    if (options.level !== undefined) return new ReadConcern(options.level);
    return undefined;
  }

  /** True when no level is set. */
  get isServerDefault(): boolean {
    return this.level === undefined;
  }

  /** The `readConcern` command field. */
  toJSON(): Document {
    return this.level === undefined ? {} : { level: this.level };
  }
}
