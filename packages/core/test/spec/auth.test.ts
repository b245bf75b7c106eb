/**
 * Authentication spec, auth/legacy: the connection-string credential tests.
 * Each URI goes through parseConnectionString + resolveClientOptions, which
 * builds and validates the MongoCredentials.
 *
 * Mapping notes: a null username is our "" (MongoCredentials.username is a
 * string); null mechanism_properties means "none": our mechanismProperties is {}.
 */
import { describe, expect, it } from 'vitest';
import { findSpecFiles, skipReason, type SkipList } from './spec-files.js';
import { resolveClientOptions } from '../../src/uri/client-options.js';

const SKIPS: SkipList = {
  'legacy/connection-string.json#should use username and password if specified (MONGODB-AWS)':
    'contradicts "should throw an exception if username and password provided (MONGODB-AWS)" in the same file; ' +
    'the Auth spec removed URI credentials for MONGODB-AWS and we follow the newer rule',
  'legacy/connection-string.json#should use username, password and session token if specified (MONGODB-AWS)':
    'contradicts "should throw an exception if AWS_SESSION_TOKEN provided (MONGODB-AWS)" in the same file; ' +
    'the Auth spec removed URI credentials for MONGODB-AWS and we follow the newer rule',
};

interface AuthSpecTest {
  description: string;
  uri: string;
  valid: boolean;
  credential?: {
    username: string | null;
    password: string | null;
    source: string;
    mechanism: string | null;
    mechanism_properties: Record<string, unknown> | null;
  } | null;
}

// Only the connection-string tests of auth/legacy; auth/unified needs a server.
const files = findSpecFiles('auth', 'legacy');

describe('auth spec (legacy connection-string credentials)', () => {
  if (files.length === 0) it.skip('no spec files found under auth/legacy/', () => {});
  for (const file of files) {
    for (const test of (file.json as { tests?: AuthSpecTest[] }).tests ?? []) {
      const name = `${file.name}: ${test.description}`;
      const reason = skipReason(SKIPS, file.name, test.description);
      if (reason) {
        it.skip(`${name} (skipped: ${reason})`, () => {});
        continue;
      }
      it(name, () => {
        if (!test.valid) {
          expect(() => resolveClientOptions(test.uri)).toThrow();
          return;
        }
        const { credentials } = resolveClientOptions(test.uri);
        if (test.credential === null) {
          expect(credentials).toBeUndefined();
          return;
        }
        if (test.credential === undefined) return;
        const c = test.credential;
        expect(credentials).toBeDefined();
        expect(credentials!.username).toBe(c.username ?? '');
        expect(credentials!.password).toBe(c.password ?? undefined);
        expect(credentials!.source).toBe(c.source);
        expect(credentials!.mechanism).toBe(c.mechanism ?? undefined);
        expect({ ...(credentials!.mechanismProperties ?? {}) }).toEqual(c.mechanism_properties ?? {});
      });
    }
  }
});
