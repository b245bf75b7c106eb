/**
 * ReadPreference, shaped like the official driver's: five modes, tag sets,
 * maxStalenessSeconds, hedge. Immutable. `toJSON()` gives the `$readPreference`
 * document sent to mongos / with OP_MSG.
 */
import { MongoInvalidArgumentError, type Document } from '../errors.js';
import { keyMirror } from '../util/key-mirror.js';

export const ReadPreferenceMode = keyMirror('primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest');
export type ReadPreferenceMode = (typeof ReadPreferenceMode)[keyof typeof ReadPreferenceMode];

export type TagSet = Readonly<Record<string, string>>;

export interface ReadPreferenceOptions {
  maxStalenessSeconds?: number;
  hedge?: { enabled?: boolean };
}

/** What users may pass wherever a read preference is accepted. */
export type ReadPreferenceLike =
  | ReadPreference
  | ReadPreferenceMode
  | { mode: ReadPreferenceMode; tags?: TagSet[]; tagSets?: TagSet[]; maxStalenessSeconds?: number; hedge?: { enabled?: boolean } };

export class ReadPreference {
  // Assigned (in this order) by the constructor, which then freezes the instance.
  declare readonly mode: ReadPreferenceMode;
  declare readonly tags: readonly TagSet[] | undefined;
  declare readonly hedge: { enabled?: boolean } | undefined;
  declare readonly maxStalenessSeconds: number | undefined;

  static readonly PRIMARY = ReadPreferenceMode.primary;
  static readonly PRIMARY_PREFERRED = ReadPreferenceMode.primaryPreferred;
  static readonly SECONDARY = ReadPreferenceMode.secondary;
  static readonly SECONDARY_PREFERRED = ReadPreferenceMode.secondaryPreferred;
  static readonly NEAREST = ReadPreferenceMode.nearest;

  static readonly primary = new ReadPreference(ReadPreferenceMode.primary);
  static readonly primaryPreferred = new ReadPreference(ReadPreferenceMode.primaryPreferred);
  static readonly secondary = new ReadPreference(ReadPreferenceMode.secondary);
  static readonly secondaryPreferred = new ReadPreference(ReadPreferenceMode.secondaryPreferred);
  static readonly nearest = new ReadPreference(ReadPreferenceMode.nearest);

  constructor(mode: ReadPreferenceMode, tags?: readonly TagSet[], options: ReadPreferenceOptions = {}) {
    if (!Object.hasOwn(ReadPreferenceMode, mode)) throw new MongoInvalidArgumentError(`Invalid read preference mode ${JSON.stringify(mode)}`);
    // -1 means "no maximum", as if unset.
    const maxStalenessSeconds = options.maxStalenessSeconds === -1 ? undefined : options.maxStalenessSeconds;
    if (mode === ReadPreferenceMode.primary) {
      // [{}] (match any server) is no tag set.
      const hasTags = !!tags?.length && !(tags.length === 1 && Object.keys(tags[0]!).length === 0);
      const conflict = hasTags ? 'tags' : maxStalenessSeconds !== undefined ? 'maxStalenessSeconds' : options.hedge ? 'hedge' : null;
      if (conflict) throw new MongoInvalidArgumentError(`Primary read preference cannot be combined with ${conflict}`);
    }
    if (maxStalenessSeconds !== undefined && (!Number.isFinite(maxStalenessSeconds) || maxStalenessSeconds < 0)) {
      throw new MongoInvalidArgumentError('maxStalenessSeconds must be a non-negative number');
    }
    this.mode = mode;
    this.tags = tags?.length ? Object.freeze(tags.map((t) => Object.freeze({ ...t }))) : undefined;
    // the official driver's key order (what console.log shows)
    this.hedge = options.hedge;
    this.maxStalenessSeconds = maxStalenessSeconds;
    Object.freeze(this);
  }

  /** Accepts a ReadPreference, a mode string, or a `{ mode, tags, maxStalenessSeconds }` object. */
  static from(value: ReadPreferenceLike): ReadPreference {
    if (value instanceof ReadPreference) return value;
    if (typeof value === 'string') return new ReadPreference(value);
    if (typeof value?.mode === 'string') {
      return new ReadPreference(value.mode, value.tags ?? value.tagSets, value);
    }
    throw new MongoInvalidArgumentError(`Invalid read preference ${JSON.stringify(value)}`);
  }

  /** `new ReadPreference(mode)`, as the official driver's `ReadPreference.fromString`. */
  static fromString(mode: string): ReadPreference {
    return new ReadPreference(mode as ReadPreferenceMode);
  }

  /** The `readPreference` (and `readPreferenceTags`) of an options object; undefined when it sets none. */
  static fromOptions(options?: { readPreference?: ReadPreferenceLike | undefined; readPreferenceTags?: TagSet[] | undefined } | undefined): ReadPreference | undefined {
    const value = options?.readPreference;
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string' && options?.readPreferenceTags) return new ReadPreference(value, options.readPreferenceTags);
    return ReadPreference.from(value);
  }

  /** Whether `mode` is one of the five modes (null counts, as in the official driver). */
  static isValid(mode: string | null): boolean {
    return mode === null || Object.hasOwn(ReadPreferenceMode, mode);
  }

  /** Whether `mode` (default: this preference's) is valid. */
  isValid(mode?: string): boolean {
    return ReadPreference.isValid(typeof mode === 'string' ? mode : this.mode);
  }

  /** The deprecated alias of `mode` the official driver keeps. */
  get preference(): ReadPreferenceMode {
    return this.mode;
  }

  /** True if this preference may be served by a secondary (anything but primary). */
  secondaryOk(): boolean {
    return this.mode !== ReadPreferenceMode.primary;
  }

  /** Same mode (the official driver compares the mode only, not tags or staleness). */
  equals(other: ReadPreference): boolean {
    return other.mode === this.mode;
  }

  /** The `$readPreference` document. */
  toJSON(): Document {
    const doc: Document = { mode: this.mode };
    if (this.tags) doc.tags = this.tags.map((t) => ({ ...t }));
    if (this.maxStalenessSeconds !== undefined) doc.maxStalenessSeconds = this.maxStalenessSeconds;
    if (this.hedge) doc.hedge = { ...this.hedge };
    return doc;
  }

  toString(): string {
    return `ReadPreference(${JSON.stringify(this.toJSON())})`;
  }
}
