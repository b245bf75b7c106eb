/**
 * Shared checks for the Connection String and URI Options spec test format:
 * { uri, valid, warning, hosts, auth, options }. Null or missing fields are not
 * asserted (both specs' READMEs). Not a test file itself.
 */
import { expect } from 'vitest';
import { parseConnectionString, type ConnectionString } from '../../src/uri/connection-string.js';

export interface UriSpecTest {
  description: string;
  uri: string;
  valid: boolean;
  warning?: boolean | null;
  hosts?: { type: string; host: string; port: number | null }[] | null;
  auth?: { username: string | null; password: string | null; db: string | null } | null;
  options?: Record<string, unknown> | null;
}

const HOST_TYPE: Record<string, string> = { ip_literal: 'ipv6', ipv4: 'ipv4', hostname: 'hostname', unix: 'unix' };

/** Options by lower-cased name, so expectations written in any case compare. */
export function lowerKeys(o: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
}

export function runUriTest(test: UriSpecTest): ConnectionString | undefined {
  if (!test.valid) {
    expect(() => parseConnectionString(test.uri)).toThrow(expect.objectContaining({ name: 'MongoParseError' }));
    return undefined;
  }
  const cs = parseConnectionString(test.uri);
  if (test.warning === true) expect(cs.warnings.length, 'expected a warning').toBeGreaterThan(0);
  if (test.warning === false) expect(cs.warnings, 'expected no warning').toEqual([]);
  if (test.hosts) {
    expect(cs.hosts.map((h) => ({ type: h.type, host: h.host, port: h.port }))).toEqual(
      test.hosts.map((h) => ({ type: HOST_TYPE[h.type] ?? h.type, host: h.host, port: h.port ?? 27017 })),
    );
  }
  if (test.auth) {
    expect(cs.auth).not.toBeNull();
    expect({ username: cs.auth!.username, password: cs.auth!.password, db: cs.auth!.db }).toEqual(test.auth);
  }
  if (test.options) {
    const actual = lowerKeys(cs.options);
    for (const [k, v] of Object.entries(lowerKeys(test.options))) {
      expect(actual[k], `option ${k}`).toEqual(v);
    }
    // With a warning, the tests' `options` lists everything that must survive.
    if (test.warning === true) expect(Object.keys(actual).sort()).toEqual(Object.keys(lowerKeys(test.options)).sort());
  } else if (test.options === null && test.warning === true) {
    // An invalid value must be ignored: nothing (other than what the URI sets validly) is kept.
  }
  return cs;
}
