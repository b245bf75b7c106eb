import { describe, expect, it } from 'vitest';
import { MongoParseError } from '../errors.js';
import { buildCredentials } from './credentials.js';

describe('buildCredentials: authMechanism DEFAULT (the official driver\'s AuthMechanism.MONGODB_DEFAULT)', () => {
  it('negotiates as when no mechanism is given: username, password, source from the path', () => {
    const given = buildCredentials({ username: 'app', password: 'secret', db: 'shop', authMechanism: 'DEFAULT' });
    const none = buildCredentials({ username: 'app', password: 'secret', db: 'shop' });
    expect(given).toEqual(none);
    expect(given).toMatchObject({ username: 'app', source: 'shop', mechanism: undefined });
  });

  it('asks for no authentication without a username, as the official driver', () => {
    expect(buildCredentials({ authMechanism: 'DEFAULT' })).toBeUndefined();
  });

  it('still refuses a mechanism no spec defines, naming it', () => {
    expect(() => buildCredentials({ username: 'u', password: 'p', authMechanism: 'MONGODB-CR' })).toThrow(MongoParseError);
    expect(() => buildCredentials({ username: 'u', password: 'p', authMechanism: 'MONGODB-CR' })).toThrow(/MONGODB-CR/);
  });
});
