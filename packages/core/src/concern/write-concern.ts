/**
 * WriteConcern, shaped like the official driver's (`new WriteConcern(w, wtimeoutMS,
 * journal)`, `WriteConcern.fromOptions`), validated per the Read and Write Concern
 * spec. Immutable. `toJSON()` is the document sent to the server: `{ w, wtimeout, j }`.
 */
import { MongoInvalidArgumentError, type Document } from '../errors.js';

/** A number of nodes, "majority", or a custom getLastErrorModes tag. */
export type W = number | 'majority' | (string & {});

export interface WriteConcernSettings {
  w?: W | undefined;
  wtimeoutMS?: number | undefined;
  journal?: boolean | undefined;
  /** Legacy spellings, accepted on input only. */
  wtimeout?: number | undefined;
  j?: boolean | undefined;
}

/** What `fromOptions` reads: `{ writeConcern: {...} | W }` and/or top-level `w`, `wtimeoutMS`, `journal`. */
export interface WriteConcernOptions extends WriteConcernSettings {
  writeConcern?: WriteConcernSettings | WriteConcern | W | undefined;
}

export class WriteConcern {
  // Own properties only for what is set, in the official driver's order (w, wtimeout,
  // wtimeoutMS, j, journal), so a printed WriteConcern looks the same.
  declare readonly w: W | undefined;
  /** Legacy alias of wtimeoutMS, as the official driver keeps it. */
  declare readonly wtimeout: number | undefined;
  declare readonly wtimeoutMS: number | undefined;
  /** Legacy alias of journal, as the official driver keeps it. */
  declare readonly j: boolean | undefined;
  declare readonly journal: boolean | undefined;

  /** Throws MongoInvalidArgumentError for a negative w or wtimeoutMS, or w: 0 with journal: true. */
  constructor(w?: W, wtimeoutMS?: number, journal?: boolean) {
    if (w !== undefined && !(typeof w === 'string' ? w !== '' : Number.isInteger(w) && w >= 0)) {
      throw new MongoInvalidArgumentError(`Invalid write concern w: ${JSON.stringify(w)} (must be a non-negative integer or a non-empty string)`);
    }
    if (wtimeoutMS !== undefined && (typeof wtimeoutMS !== 'number' || !Number.isInteger(wtimeoutMS) || wtimeoutMS < 0)) {
      throw new MongoInvalidArgumentError(`Invalid write concern wtimeoutMS: ${String(wtimeoutMS)} (must be a non-negative integer)`);
    }
    if (journal !== undefined && typeof journal !== 'boolean') {
      throw new MongoInvalidArgumentError(`Invalid write concern journal: ${String(journal)}`);
    }
    if (w === 0 && journal === true) throw new MongoInvalidArgumentError('Write concern w: 0 cannot be combined with journal: true');
    const self = this as { -readonly [K in 'w' | 'wtimeout' | 'wtimeoutMS' | 'j' | 'journal']: WriteConcern[K] };
    if (w !== undefined) self.w = w;
    if (wtimeoutMS !== undefined) self.wtimeoutMS = self.wtimeout = wtimeoutMS;
    if (journal !== undefined) self.journal = self.j = journal;
    Object.freeze(this);
  }

  /**
   * Builds a WriteConcern from options, or returns `inherit` (default undefined) if
   * the options set none of w / wtimeoutMS / journal. Values in `options` override
   * those of `inherit`.
   */
  static fromOptions(options?: WriteConcernOptions | WriteConcern | W, inherit?: WriteConcern | WriteConcernSettings): WriteConcern | undefined {
    const inherited = (): WriteConcern | undefined => (inherit === undefined ? undefined : WriteConcern.from(inherit));
    if (options === undefined || options === null) return inherited();
    if (options instanceof WriteConcern) return options;
    if (typeof options === 'number' || typeof options === 'string') return new WriteConcern(options);
    const nested = options.writeConcern;
    const fromNested: WriteConcernSettings =
      nested === undefined ? {} : nested instanceof WriteConcern ? nested : typeof nested === 'object' ? nested : { w: nested };
    const pick = <T>(...vals: (T | undefined)[]): T | undefined => vals.find((v) => v !== undefined);
    const w = pick<W>(fromNested.w, options.w);
    const wtimeoutMS = pick<number>(fromNested.wtimeoutMS, fromNested.wtimeout, options.wtimeoutMS, options.wtimeout);
    const journal = pick<boolean>(fromNested.journal, fromNested.j, options.journal, options.j);
    const base = inherited();
    if (w === undefined && wtimeoutMS === undefined && journal === undefined) return base;
    return new WriteConcern(w ?? base?.w, wtimeoutMS ?? base?.wtimeoutMS, journal ?? base?.journal);
  }

  private static from(s: WriteConcern | WriteConcernSettings): WriteConcern {
    return s instanceof WriteConcern ? s : new WriteConcern(s.w, s.wtimeoutMS ?? s.wtimeout, s.journal ?? s.j);
  }

  /** True when nothing is set: the server's default write concern applies. */
  get isServerDefault(): boolean {
    return this.w === undefined && this.wtimeoutMS === undefined && this.journal === undefined;
  }

  /** False only for w: 0 without journal: true (unacknowledged writes). */
  get isAcknowledged(): boolean {
    return this.w !== 0 || this.journal === true;
  }

  /** The `writeConcern` command field: `{ w?, wtimeout?, j? }`. */
  toJSON(): Document {
    const doc: Document = {};
    if (this.w !== undefined) doc.w = this.w;
    if (this.wtimeoutMS !== undefined) doc.wtimeout = this.wtimeoutMS;
    if (this.journal !== undefined) doc.j = this.journal;
    return doc;
  }
}
