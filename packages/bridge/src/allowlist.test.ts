import { describe, expect, it } from 'vitest';
import { Allowlist, compilePatterns, matchesPattern, parseTargetPattern } from './allowlist.js';

/** pattern, host the client sent, port -> allowed? */
const MATCHES: Array<[string, string, number, boolean]> = [
  // IPv4: * is exactly one decimal octet, in any position.
  ['*.0.0.1:27017', '127.0.0.1', 27017, true],
  ['*.0.0.1:27017', '10.0.0.1', 27017, true],
  ['127.*.0.1:27017', '127.255.0.1', 27017, true],
  ['127.0.*.1:27017', '127.0.9.1', 27017, true],
  ['127.0.0.*:27017', '127.0.0.10', 27017, true],
  ['127.0.0.*:27017', '127.0.0.0', 27017, true],
  ['*.*.*.*:27017', '8.8.8.8', 27017, true],
  ['127.0.0.*:27017', '127.0.1.10', 27017, false],
  ['127.0.0.*:27017', '127.0.0.10.nip.io', 27017, false], // the reported bypass
  ['127.0.0.*:27017', '127.0.0.1.2', 27017, false],
  ['127.0.0.*:27017', '127.0.0.010', 27017, false], // octal to some resolvers
  ['127.0.0.*:27017', '127.0.0.256', 27017, false],
  ['*.*.*.*:27017', 'db.internal', 27017, false],
  ['*.*.*.*:27017', '::1', 27017, false],
  ['10.0.0.1:27017', '10.0.0.1', 27017, true],
  ['10.0.0.1:27017', '10.0.0.10', 27017, false],
  // IPv6 in brackets: compared group by group, :: expanded, * is one group.
  ['[::1]:27017', '::1', 27017, true],
  ['[::1]:27017', '0:0:0:0:0:0:0:1', 27017, true],
  ['[::1]:27017', '::2', 27017, false],
  ['[FD00::1]:27017', 'fd00:0::1', 27017, true],
  ['[fd00::*]:27017', 'fd00::abcd', 27017, true],
  ['[fd00::*]:27017', 'fd00::1:abcd', 27017, false],
  ['[fd00:*::1]:27017', 'fd00:7::1', 27017, true],
  ['[*::1]:27017', 'fe80::1', 27017, true],
  ['[::ffff:10.0.0.1]:27017', '::ffff:a00:1', 27017, true],
  ['[::ffff:*:*]:27017', '::ffff:10.0.0.1', 27017, true],
  ['[::1]:27017', '127.0.0.1', 27017, false],
  ['[::1]:27017', 'localhost', 27017, false],
  // Names: * is one or more characters of one label, never a dot.
  ['*.db.internal:27017', 'a.db.internal', 27017, true],
  ['*.db.internal:27017', 'A-1.DB.internal', 27017, true],
  ['*.db.internal:27017', 'db.internal', 27017, false],
  ['*.db.internal:27017', 'a.b.db.internal', 27017, false],
  ['*.db.internal:27017', '.db.internal', 27017, false],
  ['db-*.example.net:27017', 'db-1.example.net', 27017, true],
  ['db-*.example.net:27017', 'db-.example.net', 27017, false],
  ['db-*.example.net:27017', 'db-1.evil.example.net', 27017, false],
  ['shard-*-a.example.net:27017', 'shard-01-a.example.net', 27017, true],
  ['localhost:27017', 'localhost', 27017, true],
  ['localhost:27017', 'localhost.', 27017, false],
  ['localhost:27017', 'localhost.nip.io', 27017, false],
  ['*.nip.io:27017', '127.0.0.1.nip.io', 27017, false], // four labels, the pattern has two
  ['*.*.*.*.nip.io:27017', '127.0.0.1.nip.io', 27017, true], // a name pattern: labels may be digits
  ['*.example:27017', '0x7f.example', 27017, true],
  ['x*:27017', 'x2130706433', 27017, true],
  // A host a resolver reads as an address never matches a name pattern.
  ['0x*.0x*:27017', '0x7f.0x1', 27017, false],
  ['0x*:27017', '0x7f000001', 27017, false],
  ['0x*:27017', '0xzz', 27017, true], // not hex: a name
  // Ports.
  ['db:*', 'db', 1, true],
  ['db:*', 'db', 65535, true],
  ['db:27017', 'db', 27018, false],
  ['db:1', 'db', 1, true],
];

describe('target patterns', () => {
  it.each(MATCHES)('%s vs %s:%d -> %s', (pattern, host, port, expected) => {
    const parsed = parseTargetPattern(pattern);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(matchesPattern(parsed.pattern, host, port)).toBe(expected);
    expect(new Allowlist([pattern]).allows(host, port)).toBe(expected);
  });

  /** Refused at config time, with a message naming the problem. */
  const INVALID: Array<[string, RegExp]> = [
    ['db', /^expected host:port/],
    [':27017', /^expected host:port/],
    ['db:', /the port must be a number from 1 to 65535 or \*/],
    ['db:0', /the port must be a number/],
    ['db:65536', /the port must be a number/],
    ['db:027017', /the port must be a number/],
    ['db:2701x', /the port must be a number/],
    ['db:27017/x', /the port must be a number/],
    ['127.0.0:27017', /an IPv4 pattern has four octets/],
    ['127.0.0.1.2:27017', /an IPv4 pattern has four octets/],
    ['*:27017', /an IPv4 pattern has four octets/],
    ['*.*:27017', /an IPv4 pattern has four octets/],
    ['127.0.0.1*:27017', /"1\*" is not an IPv4 octet .* \* stands for one whole octet/],
    ['127.0.0.256:27017', /"256" is not an IPv4 octet/],
    ['127.0.0.010:27017', /"010" is not an IPv4 octet \(0-255 without leading zeros\)/],
    ['::1:27017', /write an IPv6 address in brackets/],
    ['[::1:27017', /^expected host:port/],
    ['[fd00::1*]:27017', /not an IPv6 address .* one whole group/],
    ['[::ffff:10.0.0.*]:27017', /not an IPv6 address .* embedded IPv4/],
    ['[nothex::1]:27017', /not an IPv6 address/],
    ['db..internal:27017', /"" is not a DNS label/],
    ['db.internal.:27017', /"" is not a DNS label/],
    ['db/x:27017', /"db\/x" is not a DNS label/],
    ['user@db:27017', /"user@db" is not a DNS label/],
    ['0x7f000001:27017', /looks like a numeric address/],
    ['0x7f.1:27017', /looks like a numeric address/],
  ];

  it.each(INVALID)('refuses %s', (pattern, message) => {
    const parsed = parseTargetPattern(pattern);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
    expect(() => new Allowlist([pattern])).toThrow(RangeError);
  });

  it('a token claim keeps its valid patterns and drops the others', () => {
    expect(compilePatterns(['db:1', 'nonsense', '10.0.0.*:2']).map((p) => p.source)).toEqual(['db:1', '10.0.0.*:2']);
  });

  it('seed hosts are exact keys beside the patterns', () => {
    const list = new Allowlist(['10.0.0.*:27017']);
    list.setDynamic(['member.example:27018', '[::1]:27019']);
    expect(list.allows('MEMBER.example', 27018)).toBe(true);
    expect(list.allows('member.example', 27017)).toBe(false);
    expect(list.allows('::1', 27019)).toBe(true);
    expect(list.allows('10.0.0.3', 27017)).toBe(true);
    expect(list.dynamicHosts).toEqual(['member.example:27018', '[::1]:27019']);
  });
});
