import { describe, expect, it } from 'vitest';
import { BridgeCloseCode, BridgeErrorReason } from '@mongo-edge/core/internal';
import {
  RefusalCode,
  admitChannel,
  admitConnection,
  admitSocket,
  originMatcher,
  refusalCloseCode,
  refusalWireReason,
  type Admission,
  type ChannelCounts,
  type ChannelPolicy,
  type ChannelRequest,
  type Principal,
  type SocketClient,
  type SocketCounts,
} from './admission.js';
import { Allowlist, compilePatterns } from './allowlist.js';

const NOW = 1_700_000_000_000;

const policy: ChannelPolicy = {
  maxChannelsPerSocket: 3,
  requireTargetTls: false,
  targets: new Allowlist(['db.internal:27017', '10.0.0.*:*']),
};
const tlsPolicy: ChannelPolicy = { ...policy, requireTargetTls: true };
const anyone: Principal = { subject: 'alice', expiresAt: undefined, allow: undefined };
const narrowed: Principal = { subject: 'bob', expiresAt: undefined, allow: compilePatterns(['10.0.0.5:27017', 'not a pattern']) };
const expired: Principal = { subject: 'carol', expiresAt: NOW / 1000, allow: undefined };
const fresh: Principal = { subject: 'dave', expiresAt: NOW / 1000 + 1, allow: undefined };
const db: ChannelRequest = { host: 'db.internal', port: 27017, tls: false };
const idle: ChannelCounts = { channelsOnSocket: 0, shuttingDown: false, nowMs: NOW };

type Expect = 'allowed' | { code: RefusalCode; message: RegExp };

/** Who, what, how many -> outcome. The first failing check wins. */
const CHANNEL_TABLE: Array<[string, ChannelPolicy, Principal, ChannelRequest, ChannelCounts, Expect]> = [
  ['an allowed name', policy, anyone, db, idle, 'allowed'],
  ['names compare case-insensitively', policy, anyone, { ...db, host: 'DB.Internal' }, idle, 'allowed'],
  ['an IPv4 pattern with any port', policy, anyone, { host: '10.0.0.9', port: 1, tls: true }, idle, 'allowed'],
  ['another port of an allowed name', policy, anyone, { ...db, port: 27018 }, idle, { code: 'target-not-allowed', message: /^db\.internal:27018 is not in the bridge allowlist$/ }],
  ['a name shaped like an allowed IP', policy, anyone, { host: '10.0.0.9.nip.io', port: 27017, tls: false }, idle, { code: 'target-not-allowed', message: /10\.0\.0\.9\.nip\.io:27017/ }],
  ['the last free channel', policy, anyone, db, { ...idle, channelsOnSocket: 2 }, 'allowed'],
  ['one channel too many', policy, anyone, db, { ...idle, channelsOnSocket: 3 }, { code: 'channel-limit', message: /at most 3 channels per WebSocket/ }],
  ['shutting down beats every other check', policy, expired, { ...db, port: 1 }, { ...idle, shuttingDown: true, channelsOnSocket: 99 }, { code: 'shutting-down', message: /shutting down/ }],
  ['an expired token', policy, expired, db, idle, { code: 'token-expired', message: /token has expired/ }],
  ['expiry is checked before the channel limit', policy, expired, db, { ...idle, channelsOnSocket: 3 }, { code: 'token-expired', message: /expired/ }],
  ['a token valid one more second', policy, fresh, db, idle, 'allowed'],
  ['TLS required, none asked', tlsPolicy, anyone, db, idle, { code: 'tls-required', message: /^db\.internal:27017: this bridge only opens TLS connections/ }],
  ['TLS required and asked', tlsPolicy, anyone, { ...db, tls: true }, idle, 'allowed'],
  ['TLS is checked before the allowlist', tlsPolicy, anyone, { host: 'evil', port: 1, tls: false }, idle, { code: 'tls-required', message: /TLS/ }],
  ['the token allow claim narrows the allowlist', policy, narrowed, { host: '10.0.0.5', port: 27017, tls: false }, idle, 'allowed'],
  ['a target the bridge allows but the token does not', policy, narrowed, db, idle, { code: 'target-not-granted', message: /^db\.internal:27017 is not in the bridge allowlist of this token/ }],
  ['the claim cannot widen the allowlist', policy, { ...narrowed, allow: compilePatterns(['evil.example:1']) }, { host: 'evil.example', port: 1, tls: false }, idle, { code: 'target-not-allowed', message: /evil\.example:1/ }],
  ['an empty claim allows nothing', policy, { ...anyone, allow: [] }, db, idle, { code: 'target-not-granted', message: /this token/ }],
];

const outcome = (a: Admission): Expect | { code: string; message: string } => (a.allowed ? 'allowed' : { code: a.reason.code, message: a.reason.message });

describe('admitChannel', () => {
  it.each(CHANNEL_TABLE)('%s', (_name, pol, who, what, counts, expected) => {
    const result = admitChannel(pol, who, what, counts);
    if (expected === 'allowed') {
      expect(outcome(result)).toBe('allowed');
      expect(result).toEqual({ allowed: true, target: `${what.host.toLowerCase()}:${what.port}` });
    } else {
      expect(result.allowed).toBe(false);
      if (result.allowed) return;
      expect(result.reason.code).toBe(expected.code);
      expect(result.reason.message).toMatch(expected.message);
    }
  });

  it('does not change its inputs', () => {
    const counts = { ...idle };
    const who = { ...narrowed };
    admitChannel(policy, who, db, counts);
    expect(counts).toEqual(idle);
    expect(who).toEqual(narrowed);
  });
});

const socketPolicy = { subprotocol: 'mongo-edge.v1', maxSocketsPerIp: 2, originAllowed: originMatcher(['https://app.example.com', 'https://*.trusted.dev']) };
const node: SocketClient = { ip: '10.1.1.1', origin: undefined, subprotocol: 'mongo-edge.v1' };
const calm: SocketCounts = { socketsFromIp: 0, shuttingDown: false };

const SOCKET_TABLE: Array<[string, SocketClient, SocketCounts, Expect]> = [
  ['a client without Origin', node, calm, 'allowed'],
  ['a listed Origin', { ...node, origin: 'https://app.example.com' }, calm, 'allowed'],
  ['a wildcard Origin, one label', { ...node, origin: 'https://x.trusted.dev' }, calm, 'allowed'],
  ['a wildcard Origin, two labels', { ...node, origin: 'https://a.b.trusted.dev' }, calm, 'allowed'],
  ['the wildcard does not match the bare domain', { ...node, origin: 'https://trusted.dev' }, calm, { code: 'origin-not-allowed', message: /origin https:\/\/trusted\.dev is not allowed/ }],
  ['an unlisted Origin', { ...node, origin: 'https://evil.example' }, calm, { code: 'origin-not-allowed', message: /evil/ }],
  ['no subprotocol', { ...node, subprotocol: '' }, calm, { code: 'subprotocol-missing', message: /^subprotocol mongo-edge\.v1 required$/ }],
  ['the last socket for this address', node, { ...calm, socketsFromIp: 1 }, 'allowed'],
  ['one socket too many', node, { ...calm, socketsFromIp: 2 }, { code: 'socket-limit', message: /at most 2 WebSockets per client address/ }],
  ['shutting down first', { ...node, subprotocol: '' }, { socketsFromIp: 9, shuttingDown: true }, { code: 'shutting-down', message: /shutting down/ }],
  ['the subprotocol before the origin', { ...node, subprotocol: '', origin: 'https://evil.example' }, calm, { code: 'subprotocol-missing', message: /subprotocol/ }],
];

describe('admitSocket', () => {
  it.each(SOCKET_TABLE)('%s', (_name, who, counts, expected) => {
    const result = outcome(admitSocket(socketPolicy, who, counts));
    if (expected === 'allowed') expect(result).toBe('allowed');
    else expect(result).toEqual({ code: expected.code, message: expect.stringMatching(expected.message) });
  });

  it('an Origin longer than 80 characters is cut in the message', () => {
    const result = admitSocket(socketPolicy, { ...node, origin: `https://${'a'.repeat(200)}.example` }, calm);
    expect(result.allowed).toBe(false);
    if (!result.allowed) expect(result.reason.message).toBe(`origin https://${'a'.repeat(72)} is not allowed`);
  });

  it('* allows every Origin', () => {
    expect(admitSocket({ ...socketPolicy, originAllowed: originMatcher(['*']) }, { ...node, origin: 'https://any.where' }, calm).allowed).toBe(true);
  });
});

const CONNECTION_TABLE: Array<[string, number, number, Expect]> = [
  ['none pending', 0, 0, 'allowed'],
  ['the last pending slot for this address', 3, 10, 'allowed'],
  ['this address is at its limit', 4, 10, { code: 'pending-limit', message: /^at most 4 connections from 10\.1\.1\.1 may be opening or closing at once$/ }],
  ['the whole listener is at its limit', 0, 100, { code: 'pending-limit', message: /^at most 100 connections may be opening or closing at once$/ }],
];

describe('admitConnection', () => {
  it.each(CONNECTION_TABLE)('%s', (_name, pendingFromIp, pendingTotal, expected) => {
    const result = outcome(admitConnection({ maxPendingPerIp: 4, maxPending: 100 }, { ip: '10.1.1.1' }, { pendingFromIp, pendingTotal }));
    if (expected === 'allowed') expect(result).toBe('allowed');
    else expect(result).toEqual({ code: expected.code, message: expect.stringMatching(expected.message) });
  });
});

describe('refusal codes on the wire', () => {
  const WIRE: Array<[RefusalCode, BridgeErrorReason, number]> = [
    ['shutting-down', BridgeErrorReason.BridgeShuttingDown, BridgeCloseCode.GoingAway],
    ['subprotocol-missing', BridgeErrorReason.ProtocolError, BridgeCloseCode.ProtocolError],
    ['origin-not-allowed', BridgeErrorReason.OriginRefused, BridgeCloseCode.OriginRefused],
    ['pending-limit', BridgeErrorReason.LimitExceeded, BridgeCloseCode.LimitExceeded],
    ['socket-limit', BridgeErrorReason.LimitExceeded, BridgeCloseCode.LimitExceeded],
    ['token-expired', BridgeErrorReason.AuthFailed, BridgeCloseCode.AuthFailed],
    ['channel-limit', BridgeErrorReason.LimitExceeded, BridgeCloseCode.LimitExceeded],
    ['tls-required', BridgeErrorReason.TargetRefused, BridgeCloseCode.ProtocolError],
    ['target-not-allowed', BridgeErrorReason.TargetRefused, BridgeCloseCode.ProtocolError],
    ['target-not-granted', BridgeErrorReason.TargetRefused, BridgeCloseCode.ProtocolError],
  ];

  it('covers every code', () => {
    expect(WIRE.map(([c]) => c).sort()).toEqual(Object.values(RefusalCode).sort());
  });

  it.each(WIRE)('%s -> %s, close %d', (code, reason, close) => {
    expect(refusalWireReason(code)).toBe(reason);
    expect(refusalCloseCode(code)).toBe(close);
  });
});
