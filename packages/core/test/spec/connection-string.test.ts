/**
 * Connection String spec tests (connection-string/*.json): parseConnectionString
 * against `valid`, `warning`, `hosts`, `auth` and `options`.
 *
 * Mapping notes: the spec's host type `ip_literal` is our `ipv6`; a `port: null`
 * (none given) is our default 27017; option keys compare case-insensitively.
 */
import { describe, expect, it } from 'vitest';
import { findSpecFiles, skipReason, type SkipList } from './spec-files.js';
import { runUriTest, type UriSpecTest } from './uri-spec-runner.js';

const SKIPS: SkipList = {};

const files = findSpecFiles('connection-string');

describe('connection-string spec', () => {
  if (files.length === 0) it.skip('no spec files found under connection-string/', () => {});
  for (const file of files) {
    const tests = ((file.json as { tests?: UriSpecTest[] }).tests ?? []);
    for (const test of tests) {
      const reason = skipReason(SKIPS, file.name, test.description);
      const name = `${file.name}: ${test.description}`;
      if (reason) it.skip(`${name} (skipped: ${reason})`, () => {});
      else it(name, () => runUriTest(test));
    }
  }
});
