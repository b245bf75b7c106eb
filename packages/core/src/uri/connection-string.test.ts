import { describe, expect, it } from 'vitest';
import { MongoParseError } from '../errors.js';
import { parseConnectionString } from './connection-string.js';

const bad = (uri: string, message: RegExp) => () => {
  expect(() => parseConnectionString(uri)).toThrow(MongoParseError);
  expect(() => parseConnectionString(uri)).toThrow(message);
};

describe('parseConnectionString: errors name the offending part', () => {
  it.each([
    ['mongodb://host:99999', /Invalid port 99999 in host "host:99999"/],
    ['mongodb://host:12ab', /Invalid port "12ab"/],
    ['mongodb://host:', /Invalid port ""/],
    ['mongodb://[::1', /Unterminated IPv6 literal "\[::1"/],
    ['mongodb://[::1]x', /Unexpected "x" after IPv6 literal/],
    ['mongodb://[]:27017', /Invalid IPv6 literal/],
    ['mongodb://a,,b', /Empty host/],
    ['mongodb://a,', /Empty host/],
    ['mongodb://:27017', /Empty host name/],
    ['mongodb://user:p%zzw@host', /"%" that is not a percent-encoding/],
    ['mongodb://host/?appName=%E0%A4%A', /Value of option "appName"/],
    ['mongodb://host/?=x', /empty key/],
    ['mongodb://host/db%2Fx', /Invalid database name "db\/x"/],
    ['mongodb://host/my$db', /Invalid database name/],
    ['mongodb://%2Ftmp%2Fsocket', /must end in "\.sock"/],
    ['mongodb://@host', /Username must not be empty/],
    ['mongodb://ho st', /Invalid host name "ho st"/],
    ['mongodb+srv://[::1]', /needs a host name/],
    ['mongodb://host/?srvMaxHosts=1', /only allowed with a mongodb\+srv/],
    ['mongodb+srv://c.example.com/?directConnection=true', /directConnection=true is not allowed with a mongodb\+srv/],
    ['mongodb://host/?authSource=', /authSource must not be empty/],
    ['mongodb://host/?tls=true&ssl=false', /All instances of "tls" and "ssl"/],
    ['http://host', /Invalid scheme/],
  ])('%s', (uri, message) => bad(uri, message)());
});

describe('parseConnectionString: hosts', () => {
  it('defaults the port, lower-cases host names, keeps IPv6 zone-free literals', () => {
    const cs = parseConnectionString('mongodb://Example.COM,[FE80::1]:27018,10.0.0.1:1,%2Ftmp%2Fm.sock');
    expect(cs.hosts).toEqual([
      { host: 'example.com', port: 27017, type: 'hostname' },
      { host: 'fe80::1', port: 27018, type: 'ipv6' },
      { host: '10.0.0.1', port: 1, type: 'ipv4' },
      { host: '/tmp/m.sock', port: 27017, type: 'unix' },
    ]);
    expect(cs.scheme).toBe('mongodb');
    expect(cs.srvHost).toBeNull();
    expect(cs.auth).toBeNull();
  });
  it('records the SRV host name', () => {
    const cs = parseConnectionString('mongodb+srv://Cluster0.Example.com/app');
    expect(cs.srvHost).toBe('cluster0.example.com');
    expect(cs.auth).toEqual({ username: null, password: null, db: 'app' });
  });
  it('decodes an encoded "?" in the database name', () => {
    expect(parseConnectionString('mongodb://h/admin%3F?w=1').auth?.db).toBe('admin?');
  });
  it('returns frozen results', () => {
    const cs = parseConnectionString('mongodb://h/?w=1');
    expect(Object.isFrozen(cs)).toBe(true);
    expect(Object.isFrozen(cs.options)).toBe(true);
    expect(Object.isFrozen(cs.hosts[0])).toBe(true);
  });
});

describe('parseConnectionString: options', () => {
  it('maps keys case-insensitively to canonical names and converts types', () => {
    const cs = parseConnectionString(
      'mongodb://h/?APPNAME=x&maxpoolsize=5&RETRYWRITES=false&w=majority&wtimeoutms=10&compressors=zlib,snappy&readPreferenceTags=dc:ny&readPreferenceTags=',
    );
    expect(cs.options).toEqual({
      appName: 'x',
      maxPoolSize: 5,
      retryWrites: false,
      w: 'majority',
      wTimeoutMS: 10,
      compressors: ['zlib', 'snappy'],
      readPreferenceTags: [{ dc: 'ny' }, {}],
    });
    expect(cs.warnings).toEqual([]);
  });
  it('warns on unknown keys and ignores them', () => {
    const cs = parseConnectionString('mongodb://h/?connectMS=1&w=2');
    expect(cs.options).toEqual({ w: 2 });
    expect(cs.warnings).toEqual(["Unsupported option 'connectMS'"]);
  });
  it('warns on repeated keys; the last value wins', () => {
    const cs = parseConnectionString('mongodb://h/?maxPoolSize=1&maxPoolSize=2');
    expect(cs.options.maxPoolSize).toBe(2);
    expect(cs.warnings[0]).toMatch(/maxPoolSize.*2 times/);
  });
  it('applies a deprecated key when its replacement is absent, with a warning', () => {
    const cs = parseConnectionString('mongodb://h/?j=true&wtimeout=7');
    expect(cs.options).toEqual({ journal: true, wTimeoutMS: 7 });
    expect(cs.warnings).toHaveLength(2);
    expect(cs.warnings.join()).toMatch(/Deprecated key "j" has been replaced with "journal"/);
  });
  it('ignores the deprecated key when the replacement is present', () => {
    const cs = parseConnectionString('mongodb://h/?journal=false&j=true');
    expect(cs.options).toEqual({ journal: false });
    expect(cs.warnings.join()).toMatch(/ignored as found replacement/);
  });
  it('treats ssl as tls and accepts agreeing repeats', () => {
    expect(parseConnectionString('mongodb://h/?ssl=true&tls=true&ssl=true').options).toEqual({ tls: true });
  });
  it('warns for invalid values of known options and keeps the valid ones', () => {
    const cs = parseConnectionString('mongodb://h/?zlibCompressionLevel=10&heartbeatFrequencyMS=499&compressors=lz4&serverSelectionTimeoutMS=1');
    expect(cs.options).toEqual({ serverSelectionTimeoutMS: 1 });
    expect(cs.warnings).toHaveLength(3);
  });
  it('does not decode "+" to a space', () => {
    expect(parseConnectionString('mongodb://h/?appName=a+b').options.appName).toBe('a+b');
  });
  it('splits key:value pairs at the first colon', () => {
    expect(parseConnectionString('mongodb://h/?authMechanismProperties=A:b:c,D:').options.authMechanismProperties).toEqual({ A: 'b:c', D: '' });
  });
});
