import { describe, expect, it } from 'vitest';
import { MongoParseError } from '../errors.js';
import { ReadPreference } from '../selection/read-preference.js';
import { resolveClientOptions, resolveClientOptionsWithSrv, DEFAULT_CLIENT_OPTIONS } from './client-options.js';
import type { SrvResolver } from './srv.js';

describe('resolveClientOptions', () => {
  it('fills every default', () => {
    const o = resolveClientOptions('mongodb://localhost');
    expect(o).toMatchObject({
      ...DEFAULT_CLIENT_OPTIONS,
      dbName: 'test',
      directConnection: false,
      loadBalanced: false,
      tls: false,
      credentials: undefined,
      compressors: [],
      timeoutMS: undefined,
    });
    expect(o.readPreference.mode).toBe('primary');
    expect(o.readConcern.isServerDefault).toBe(true);
    expect(o.writeConcern.isServerDefault).toBe(true);
  });

  it('lets options in code override the connection string', () => {
    const o = resolveClientOptions('mongodb://u:p@h/db?maxPoolSize=5&appName=uri&w=1', {
      maxPoolSize: 7,
      appName: 'code',
      writeConcern: { w: 'majority', wtimeoutMS: 100 },
      auth: { username: 'other', password: 'pw' },
    });
    expect(o.maxPoolSize).toBe(7);
    expect(o.appName).toBe('code');
    expect(o.writeConcern.toJSON()).toEqual({ w: 'majority', wtimeout: 100 });
    expect(o.credentials).toMatchObject({ username: 'other', password: 'pw', source: 'db' });
  });

  it('throws MongoParseError naming an unknown or invalid option in code', () => {
    expect(() => resolveClientOptions('mongodb://h', { nope: 1 } as never)).toThrow(/Option "nope" is not supported/);
    expect(() => resolveClientOptions('mongodb://h', { maxPoolSize: -1 })).toThrow(/Invalid value for option "maxPoolSize"/);
    expect(() => resolveClientOptions('mongodb://h', { retryWrites: 'yes' as never })).toThrow(MongoParseError);
  });

  it('accepts option names in any case in code', () => {
    expect(resolveClientOptions('mongodb://h', { MAXPOOLSIZE: 3 } as never).maxPoolSize).toBe(3);
  });

  it('builds the read preference from mode, tags and maxStalenessSeconds', () => {
    const o = resolveClientOptions('mongodb://h/?readPreference=secondary&readPreferenceTags=dc:ny&maxStalenessSeconds=120');
    expect(o.readPreference.toJSON()).toEqual({ mode: 'secondary', tags: [{ dc: 'ny' }], maxStalenessSeconds: 120 });
    expect(resolveClientOptions('mongodb://h', { readPreference: ReadPreference.nearest }).readPreference.mode).toBe('nearest');
  });

  it('rejects tags or maxStalenessSeconds with primary', () => {
    expect(() => resolveClientOptions('mongodb://h/?readPreferenceTags=dc:ny')).toThrow(MongoParseError);
    expect(() => resolveClientOptions('mongodb://h/?readPreference=primary&maxStalenessSeconds=120')).toThrow(MongoParseError);
  });

  it('applies directConnection / loadBalanced rules to merged options', () => {
    expect(() => resolveClientOptions('mongodb://a,b', { directConnection: true })).toThrow(/exactly one host/);
    expect(() => resolveClientOptions('mongodb://a', { loadBalanced: true, replicaSet: 'rs' })).toThrow(/replicaSet/);
    expect(resolveClientOptions('mongodb://a/?loadBalanced=true').loadBalanced).toBe(true);
  });

  it('rejects w:0 with journal:true', () => {
    expect(() => resolveClientOptions('mongodb://h/?w=0&journal=true')).toThrow(MongoParseError);
  });

  it('handles TLS: ssl alias, implicit tls for SRV and tls files, tlsInsecure', () => {
    expect(resolveClientOptions('mongodb://h', { ssl: true }).tls).toBe(true);
    expect(() => resolveClientOptions('mongodb://h', { ssl: true, tls: false })).toThrow(/same value/);
    expect(resolveClientOptions('mongodb://h/?tlsCAFile=ca.pem').tls).toBe(true);
    expect(resolveClientOptions('mongodb+srv://c.example.com').tls).toBe(true);
    expect(resolveClientOptions('mongodb+srv://c.example.com/?tls=false').tls).toBe(false);
    const insecure = resolveClientOptions('mongodb://h/?tlsInsecure=true');
    expect(insecure).toMatchObject({ tls: true, tlsAllowInvalidCertificates: true, tlsAllowInvalidHostnames: true });
  });

  it('uses the auth spec default sources', () => {
    expect(resolveClientOptions('mongodb://u:p@h').credentials?.source).toBe('admin');
    expect(resolveClientOptions('mongodb://u:p@h/app').credentials?.source).toBe('app');
    expect(resolveClientOptions('mongodb://u:p@h/?authMechanism=PLAIN').credentials?.source).toBe('$external');
    expect(resolveClientOptions('mongodb://h/?authMechanism=MONGODB-X509').credentials?.source).toBe('$external');
    expect(() => resolveClientOptions('mongodb://u:p@h/?authMechanism=NOPE')).toThrow(/Unsupported authMechanism "NOPE"/);
  });

  it('drops "none" from compressors and de-duplicates', () => {
    expect(resolveClientOptions('mongodb://h/?compressors=zlib,none,zlib').compressors).toEqual(['zlib']);
    expect(resolveClientOptions('mongodb://h', { compressors: 'snappy,zlib' }).compressors).toEqual(['snappy', 'zlib']);
  });

  it('validates serverApi and passes transport through', () => {
    const transport = { connect: () => undefined };
    const o = resolveClientOptions('mongodb://h', { serverApi: '1', transport });
    expect(o.serverApi).toEqual({ version: '1' });
    expect(o.transport).toBe(transport);
    expect(() => resolveClientOptions('mongodb://h', { serverApi: '2' })).toThrow(/serverApi/);
  });

  it('carries the parser warnings', () => {
    expect(resolveClientOptions('mongodb://h/?foo=1').warnings).toEqual(["Unsupported option 'foo'"]);
  });
});

describe('resolveClientOptionsWithSrv', () => {
  const resolver: SrvResolver = {
    resolveSrv: async (name) => (name === '_custom._tcp.c.example.com' ? [{ name: 'a.example.com', port: 1 }, { name: 'b.example.com', port: 2 }] : []),
    resolveTxt: async () => [['replicaSet=rs0']],
  };
  it('resolves SRV with srvServiceName given in code and applies TXT options', async () => {
    const o = await resolveClientOptionsWithSrv('mongodb+srv://c.example.com', { srvServiceName: 'custom' }, resolver);
    expect(o.hosts.map((h) => h.host)).toEqual(['a.example.com', 'b.example.com']);
    expect(o.replicaSet).toBe('rs0');
    expect(o.tls).toBe(true);
  });
  it('checks options in code before any DNS query', async () => {
    let asked = false;
    const r: SrvResolver = { resolveSrv: async () => ((asked = true), []), resolveTxt: async () => [] };
    await expect(resolveClientOptionsWithSrv('mongodb+srv://c.example.com', { bogus: 1 } as never, r)).rejects.toThrow(/bogus/);
    expect(asked).toBe(false);
  });
});
