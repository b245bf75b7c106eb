import { describe, expect, it } from 'vitest';
import {
  MongoAPIError,
  MongoChangeStreamError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoPoolClearedError,
  MongoServerError,
  MongoServerSelectionError,
} from '../errors.js';
import { isResumableChangeStreamError, RESUMABLE_CHANGE_STREAM_CODES } from './resumable.js';

const server = (code: number, labels: string[] = []) => new MongoServerError({ ok: 0, code, errmsg: 'x', errorLabels: labels });
const LABEL = 'ResumableChangeStreamError';

// [description, error, wire version, resumable]
const TABLE: Array<[string, unknown, number | undefined, boolean]> = [
  ['network error', new MongoNetworkError('reset'), 21, true],
  ['network timeout', new MongoNetworkTimeoutError('timeout'), 21, true],
  ['pool cleared (a network error)', new MongoPoolClearedError('cleared'), 21, true],
  ['no server for the getMore', new MongoServerSelectionError('none', undefined), 21, true],
  ['CursorNotFound on 4.4+', server(43), 21, true],
  ['CursorNotFound before 4.4', server(43), 8, true],
  ['labelled on 4.4+', server(280, [LABEL]), 21, true],
  ['labelled code from the old list on 4.4+', server(91, [LABEL]), 9, true],
  ['listed code without the label on 4.4+', server(91), 9, false],
  ['listed code before 4.4', server(91), 8, true],
  ['RetryChangeStream (234) before 4.4', server(234), 7, true],
  ['label ignored before 4.4', server(280, [LABEL]), 8, false],
  ['Interrupted (11601) before 4.4', server(11601), 8, false],
  ['CappedPositionLost (136) on 4.4+', server(136), 21, false],
  ['unknown wire version: the label decides', server(280, [LABEL]), undefined, true],
  ['unknown wire version: no label', server(91), undefined, false],
  ['missing resume token', new MongoChangeStreamError('no _id'), 21, false],
  ['API misuse', new MongoAPIError('closed'), 21, false],
  ['a plain Error', new Error('bug'), 21, false],
  ['not an error', 'boom', 21, false],
];

describe('isResumableChangeStreamError (Change Streams spec "Resumable Error")', () => {
  for (const [name, error, wire, expected] of TABLE) {
    it(`${name}: ${expected ? 'resumable' : 'not resumable'}`, () => {
      expect(isResumableChangeStreamError(error, wire)).toBe(expected);
    });
  }

  it('the pre-4.4 list has the spec codes', () => {
    expect([...RESUMABLE_CHANGE_STREAM_CODES].sort((a, b) => a - b)).toEqual(
      [6, 7, 63, 89, 91, 133, 150, 189, 234, 262, 9001, 10107, 11600, 11602, 13388, 13435, 13436],
    );
  });
});
