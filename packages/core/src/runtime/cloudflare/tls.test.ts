import { describe, expect, it } from 'vitest';
import { MongoNetworkError } from '../../errors.js';
import { cloudflareTlsPlan } from './tls.js';

describe('cloudflareTlsPlan', () => {
  it("secureTransport 'on' by default; 'starttls' with the expected name when asked or when the name differs", () => {
    expect(cloudflareTlsPlan('db.example', {})).toEqual({ secureTransport: 'on' });
    expect(cloudflareTlsPlan('db.example', {}, 'starttls')).toEqual({ secureTransport: 'starttls', expectedServerHostname: 'db.example' });
    expect(cloudflareTlsPlan('10.0.0.1', { servername: 'db.example' })).toEqual({ secureTransport: 'starttls', expectedServerHostname: 'db.example' });
  });

  it('what Workers cannot do is a MongoNetworkError naming the option', () => {
    for (const [tls, what] of [
      [{ cert: 'PEM' }, /client certificate/],
      [{ ca: 'PEM' }, /tlsCAFile/],
      [{ allowInvalidCertificates: true }, /tlsAllowInvalidCertificates/],
      [{ allowInvalidHostnames: true }, /tlsAllowInvalidHostnames/],
    ] as const) {
      expect(() => cloudflareTlsPlan('db.example', tls)).toThrow(MongoNetworkError);
      expect(() => cloudflareTlsPlan('db.example', tls)).toThrow(what);
    }
  });
});
