/**
 * Read and Write Concern spec: connection-string/ and document/ folders.
 *
 * connection-string: `valid: false` cases with a negative w or wtimeoutMS
 * (e.g. "w=-2") conflict with uri-options/concern-options.json, which says an
 * out-of-range wTimeoutMS only warns and is ignored. We parse per the URI Options
 * spec, so for those cases "invalid" is satisfied by parsing throwing OR by the
 * parser warning about that option and not applying it (so no such write concern
 * can be built). Every other invalid case must throw.
 *
 * document: builds ReadConcern / WriteConcern from the test's values and checks
 * validity, the command document, isServerDefault and isAcknowledged.
 */
import { describe, expect, it } from 'vitest';
import { findSpecFiles, skipReason, type SkipList } from './spec-files.js';
import { parseConnectionString } from '../../src/uri/connection-string.js';
import { resolveClientOptions } from '../../src/uri/client-options.js';
import { ReadConcern } from '../../src/concern/read-concern.js';
import { WriteConcern, type W } from '../../src/concern/write-concern.js';

const SKIPS: SkipList = {
  'operation/default-write-concern-2.6.json': 'operation tests run commands against a live server (not run by this pure runner)',
  'operation/default-write-concern-3.2.json': 'operation tests run commands against a live server (not run by this pure runner)',
  'operation/default-write-concern-3.4.json': 'operation tests run commands against a live server (not run by this pure runner)',
  'operation/default-write-concern-4.2.json': 'operation tests run commands against a live server (not run by this pure runner)',
};

interface ConcernDoc {
  w?: W;
  wtimeoutMS?: number;
  journal?: boolean;
  level?: string;
}
interface RwcTest {
  description: string;
  uri?: string;
  valid: boolean;
  warning?: boolean | null;
  readConcern?: ConcernDoc | null;
  writeConcern?: ConcernDoc | null;
  readConcernDocument?: Record<string, unknown> | null;
  writeConcernDocument?: Record<string, unknown> | null;
  isServerDefault?: boolean | null;
  isAcknowledged?: boolean | null;
}

const CONCERN_OPTIONS = /"(w|wtimeoutMS|wTimeoutMS|journal|readConcernLevel)"/;

function runConnectionStringTest(test: RwcTest): void {
  const uri = test.uri!;
  if (!test.valid) {
    let cs;
    try {
      cs = parseConnectionString(uri);
    } catch {
      return; // parse error: invalid, as expected
    }
    if (cs.warnings.some((w) => CONCERN_OPTIONS.test(w))) return; // warned and ignored (see file comment)
    expect(() => resolveClientOptions(cs)).toThrow();
    return;
  }
  const cs = parseConnectionString(uri);
  if (test.warning === false) expect(cs.warnings).toEqual([]);
  const opts = resolveClientOptions(cs);
  if (test.writeConcern) {
    const wc = opts.writeConcern;
    const actual: ConcernDoc = {};
    if (wc.w !== undefined) actual.w = wc.w;
    if (wc.wtimeoutMS !== undefined) actual.wtimeoutMS = wc.wtimeoutMS;
    if (wc.journal !== undefined) actual.journal = wc.journal;
    expect(actual).toEqual(test.writeConcern);
  }
  if (test.readConcern) expect(opts.readConcern.toJSON()).toEqual(test.readConcern);
}

function runDocumentTest(test: RwcTest): void {
  if (test.writeConcern) {
    const { w, wtimeoutMS, journal } = test.writeConcern;
    if (!test.valid) {
      expect(() => new WriteConcern(w, wtimeoutMS, journal)).toThrow();
      return;
    }
    const wc = new WriteConcern(w, wtimeoutMS, journal);
    if (test.writeConcernDocument) expect(wc.toJSON()).toEqual(test.writeConcernDocument);
    if (typeof test.isServerDefault === 'boolean') expect(wc.isServerDefault).toBe(test.isServerDefault);
    if (typeof test.isAcknowledged === 'boolean') expect(wc.isAcknowledged).toBe(test.isAcknowledged);
  }
  if (test.readConcern) {
    if (!test.valid) {
      expect(() => new ReadConcern(test.readConcern!.level)).toThrow();
      return;
    }
    const rc = ReadConcern.fromOptions({ readConcern: test.readConcern }) ?? new ReadConcern();
    if (test.readConcernDocument) expect(rc.toJSON()).toEqual(test.readConcernDocument);
    if (typeof test.isServerDefault === 'boolean') expect(rc.isServerDefault).toBe(test.isServerDefault);
  }
}

const files = findSpecFiles('read-write-concern');

describe('read-write-concern spec', () => {
  if (files.length === 0) it.skip('no spec files found under read-write-concern/', () => {});
  for (const file of files) {
    const fileSkip = skipReason(SKIPS, file.name);
    if (fileSkip) {
      it.skip(`${file.name} (skipped: ${fileSkip})`, () => {});
      continue;
    }
    const kind = file.name.split('/')[0];
    for (const test of (file.json as { tests?: RwcTest[] }).tests ?? []) {
      const name = `${file.name}: ${test.description}`;
      const reason = skipReason(SKIPS, file.name, test.description);
      if (reason) it.skip(`${name} (skipped: ${reason})`, () => {});
      else if (kind === 'connection-string') it(name, () => runConnectionStringTest(test));
      else if (kind === 'document') it(name, () => runDocumentTest(test));
      else it.skip(`${name} (skipped: unknown folder "${kind}")`, () => {});
    }
  }
});
