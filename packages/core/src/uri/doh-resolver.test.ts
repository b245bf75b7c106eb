import { describe, expect, it } from 'vitest';
import { DohResolver, parseSrvData, parseTxtData } from './doh-resolver.js';

function fakeFetch(answers: Record<string, unknown>): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  const f = (async (input: string | URL | Request) => {
    const url = String(input);
    urls.push(url);
    const u = new URL(url);
    const body = answers[`${u.searchParams.get('type')} ${u.searchParams.get('name')}`] ?? { Status: 3 };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/dns-json' } });
  }) as typeof fetch;
  return { fetch: f, urls };
}

describe('DohResolver', () => {
  it('parses SRV and TXT answers from the JSON API at a configurable URL', async () => {
    const { fetch, urls } = fakeFetch({
      'SRV _mongodb._tcp.c.example.com': { Status: 0, Answer: [{ type: 33, data: '0 5 27017 a.example.com.' }, { type: 5, data: 'cname.' }] },
      'TXT c.example.com': { Status: 0, Answer: [{ type: 16, data: '"replicaS" "et=rs0"' }] },
    });
    const r = new DohResolver({ url: 'https://dns.example/resolve', fetch });
    expect(await r.resolveSrv('_mongodb._tcp.c.example.com')).toEqual([{ name: 'a.example.com', port: 27017 }]);
    expect(await r.resolveTxt('c.example.com')).toEqual([['replicaS', 'et=rs0']]);
    expect(urls[0]).toMatch(/^https:\/\/dns\.example\/resolve\?name=_mongodb\._tcp\.c\.example\.com&type=SRV$/);
  });
  it('returns [] for NXDOMAIN and rejects on other DNS failures', async () => {
    const { fetch } = fakeFetch({ 'TXT bad.example.com': { Status: 2 } });
    const r = new DohResolver({ fetch });
    expect(await r.resolveTxt('none.example.com')).toEqual([]);
    await expect(r.resolveTxt('bad.example.com')).rejects.toThrow(/DNS status 2/);
  });
  it('parses presentation-format data', () => {
    expect(parseTxtData('"a\\"b" "c d"')).toEqual(['a"b', 'c d']);
    expect(parseSrvData('1 2 3 host.')).toEqual({ name: 'host', port: 3 });
  });
});
