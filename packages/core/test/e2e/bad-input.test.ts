/**
 * Acceptance: bad input fails clearly. Malformed connection strings and options are
 * MongoParseErrors naming the offending part; a fake server (raw node:net) that
 * answers the hello handshake properly and then misbehaves gives a typed error with
 * a cause that says what happened. Nothing hangs, nothing is left unhandled, and
 * client.close() resolves afterwards.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MongoClient,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoParseError,
  MongoProtocolError,
  MongoServerSelectionError,
  type Document,
} from '@mongo-edge/core/node';
import { decodeOpMsg, encodeOpMsg, concatChunks, MessageFramer, OP_MSG } from '@mongo-edge/core/internal';

// ---------------------------------------------------------------- connection strings

describe('malformed connection strings', () => {
  const cases: Array<{ uri: string; names: RegExp }> = [
    { uri: 'mongodb://', names: /no host/i },
    { uri: 'mongodb://?w=1', names: /no host/i },
    { uri: 'mongodb:///db', names: /missing host/i },
    { uri: 'http://localhost:27017', names: /scheme.*mongodb:\/\//i },
    { uri: 'mongodb://localhost:99999', names: /port 99999/ },
    { uri: 'mongodb://localhost:0', names: /port 0/ },
    { uri: 'mongodb://localhost:abc', names: /port "abc"/ },
    { uri: 'mongodb://[::1', names: /Unterminated IPv6 literal "\[::1"/ },
    { uri: 'mongodb://[::1]:x', names: /port "x"/ },
    { uri: 'mongodb://user:p@ss@localhost', names: /unescaped "@"/ },
    { uri: 'mongodb://local host', names: /host name "local host"/ },
    { uri: 'mongodb://localhost/?authMechanism=BOGUS', names: /authMechanism "BOGUS"/ },
    { uri: 'mongodb://localhost/?tlsInsecure=true&tlsAllowInvalidCertificates=true', names: /tlsInsecure.*tlsAllowInvalidCertificates/ },
    { uri: 'mongodb://a:1,b:2/?directConnection=true', names: /directConnection/ },
    { uri: 'mongodb://localhost/?loadBalanced=true&replicaSet=rs', names: /loadBalanced.*replicaSet/ },
  ];
  for (const { uri, names } of cases) {
    it(`${uri} -> MongoParseError`, () => {
      let error: unknown;
      try {
        new MongoClient(uri);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MongoParseError);
      expect((error as Error).message).toMatch(names);
    });
  }

  // The URI Options spec: an invalid value for a known option in the connection string is
  // warned about and the option ignored (spec tests "... causes a warning"), so these are
  // warnings naming the option and the value, not errors.
  const badValues: Array<{ uri: string; names: RegExp }> = [
    { uri: 'mongodb://localhost/?connectTimeoutMS=abc', names: /connectTimeoutMS.*"abc"/ },
    { uri: 'mongodb://localhost/?maxPoolSize=-1', names: /maxPoolSize.*"-1"/ },
    { uri: 'mongodb://localhost/?tls=maybe', names: /"tls".*"maybe"/ },
    { uri: 'mongodb://localhost/?readPreference=nearestish', names: /readPreference.*"nearestish"/ },
    { uri: 'mongodb://localhost/?compressors=bogus', names: /compressors.*"bogus"/ },
  ];
  for (const { uri, names } of badValues) {
    it(`${uri} -> warning naming the option, option ignored`, () => {
      const client = new MongoClient(uri);
      expect(client.options.warnings.some((w) => names.test(w))).toBe(true);
    });
  }

  it('an unknown URI option is a warning, not an error', () => {
    const client = new MongoClient('mongodb://localhost/?fooBar=1&maxPoolSize=5');
    expect(client.options.warnings).toEqual([expect.stringContaining('fooBar')]);
    expect(client.options.maxPoolSize).toBe(5);
  });

  it('an unknown option in the options object is a MongoParseError naming it', () => {
    expect(() => new MongoClient('mongodb://localhost', { fooBar: 1 } as never)).toThrow(MongoParseError);
    expect(() => new MongoClient('mongodb://localhost', { fooBar: 1 } as never)).toThrow(/fooBar/);
  });

  it('a bad value in the options object is a MongoParseError naming the option', () => {
    expect(() => new MongoClient('mongodb://localhost', { maxPoolSize: 'x' } as never)).toThrow(/maxPoolSize/);
    expect(() => new MongoClient('mongodb://localhost', { connectTimeoutMS: -5 })).toThrow(MongoParseError);
    expect(() => new MongoClient('mongodb://localhost', { connectTimeoutMS: -5 })).toThrow(/connectTimeoutMS/);
  });
});

// ---------------------------------------------------------------- a misbehaving server

type Misbehavior = 'shortLength' | 'oversize' | 'badBson' | 'closeMidReply' | 'silent' | 'silentHello';

const MAX_MESSAGE_SIZE = 48_000_000;

/** A raw TCP server that answers hello like a standalone mongod, then misbehaves. */
class FakeServer {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  readonly commands: string[] = [];
  connections = 0;
  constructor(private readonly mode: Misbehavior) {
    this.server = createServer((socket) => this.onConnection(socket));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address() as { port: number };
    return `127.0.0.1:${addr.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    this.connections += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const framer = new MessageFramer(MAX_MESSAGE_SIZE);
    socket.on('data', (chunk: Buffer) => {
      let messages: Uint8Array[];
      try {
        messages = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch {
        socket.destroy();
        return;
      }
      for (const bytes of messages) this.onMessage(socket, bytes);
    });
  }

  private onMessage(socket: Socket, bytes: Uint8Array): void {
    const msg = decodeOpMsg(bytes);
    const name = Object.keys(msg.body)[0] ?? '';
    this.commands.push(name);
    const isHello = ['hello', 'ismaster', 'isMaster'].includes(name);
    if (isHello && this.mode !== 'silentHello') {
      this.reply(socket, msg.requestId, {
        helloOk: true,
        isWritablePrimary: true,
        ismaster: true,
        maxBsonObjectSize: 16 * 1024 * 1024,
        maxMessageSizeBytes: MAX_MESSAGE_SIZE,
        maxWriteBatchSize: 100_000,
        localTime: new Date(),
        logicalSessionTimeoutMinutes: 30,
        connectionId: this.connections,
        minWireVersion: 0,
        maxWireVersion: 21,
        readOnly: false,
        ok: 1,
      });
      return;
    }
    if (name === 'endSessions') {
      this.reply(socket, msg.requestId, { ok: 1 });
      return;
    }
    this.misbehave(socket, msg.requestId);
  }

  private reply(socket: Socket, responseTo: number, body: Document): void {
    socket.write(concatChunks(encodeOpMsg({ requestId: 1, responseTo, body })));
  }

  private misbehave(socket: Socket, responseTo: number): void {
    const header = (length: number): Buffer => {
      const b = Buffer.alloc(16);
      b.writeInt32LE(length, 0);
      b.writeInt32LE(2, 4);
      b.writeInt32LE(responseTo, 8);
      b.writeInt32LE(OP_MSG, 12);
      return b;
    };
    switch (this.mode) {
      case 'shortLength':
        socket.write(header(8));
        return;
      case 'oversize':
        socket.write(header(MAX_MESSAGE_SIZE + 1));
        return;
      case 'badBson': {
        // flagBits 0, kind 0, then a "document" that declares 64 bytes but holds 10 garbage bytes.
        const body = Buffer.alloc(4 + 1 + 10);
        body.writeUInt32LE(0, 0);
        body[4] = 0;
        body.writeInt32LE(64, 5);
        body.fill(0x7f, 9);
        const whole = Buffer.concat([header(16 + body.length), body]);
        socket.write(whole);
        return;
      }
      case 'closeMidReply': {
        const full = concatChunks(encodeOpMsg({ requestId: 2, responseTo, body: { ok: 1, filler: 'x'.repeat(200) } }));
        socket.write(full.subarray(0, full.byteLength >> 1), () => socket.destroy());
        return;
      }
      case 'silent':
      case 'silentHello':
        return;
      default: {
        const never: never = this.mode;
        throw new Error(`unknown mode ${String(never)}`);
      }
    }
  }
}

describe('a server that misbehaves after the handshake', () => {
  let fake: FakeServer | undefined;
  let client: MongoClient | undefined;

  afterEach(async () => {
    // close() must resolve whatever happened before.
    await client?.close();
    await fake?.close();
    client = undefined;
    fake = undefined;
  });

  const start = async (mode: Misbehavior, uriOptions = ''): Promise<MongoClient> => {
    fake = new FakeServer(mode);
    const address = await fake.listen();
    client = new MongoClient(`mongodb://${address}/?serverSelectionTimeoutMS=1000&connectTimeoutMS=1000&heartbeatFrequencyMS=500${uriOptions}`);
    return client;
  };

  /** The error of a non-retryable command (so one attempt), and of a retryable read. */
  const failures = async (c: MongoClient): Promise<{ command: unknown; read: unknown }> => {
    const command = await c
      .db('test')
      .command({ ping: 1 })
      .then(() => new Error('expected a failure'))
      .catch((e: unknown) => e);
    const read = await c
      .db('test')
      .collection('c')
      .findOne({})
      .then(() => new Error('expected a failure'))
      .catch((e: unknown) => e);
    return { command, read };
  };

  /**
   * The connection fails the pending request with the MongoProtocolError itself (it
   * surfaces as such) and closes with a MongoNetworkError caused by it; either is fine.
   */
  const expectProtocolFailure = (e: unknown): void => {
    if (e instanceof MongoNetworkError) expect(e.cause).toBeInstanceOf(MongoProtocolError);
    else expect(e).toBeInstanceOf(MongoProtocolError);
  };

  const causeChain = (e: unknown): string => {
    const parts: string[] = [];
    for (let x = e as Error | undefined; x; x = x.cause as Error | undefined) parts.push(`${x.name}: ${x.message}`);
    return parts.join(' <- ');
  };

  it('(a) declared length < 16: MongoProtocolError', async () => {
    const c = await start('shortLength');
    const { command, read } = await failures(c);
    for (const e of [command, read]) {
      expectProtocolFailure(e);
      expect(causeChain(e)).toMatch(/length 8.*smaller than the 16-byte header/);
    }
    expect(fake!.commands).toContain('ping');
  });

  it('(b) declared length > maxMessageSizeBytes: rejected from the header, before buffering', async () => {
    const c = await start('oversize');
    const { command, read } = await failures(c);
    for (const e of [command, read]) {
      expectProtocolFailure(e);
      expect(causeChain(e)).toMatch(new RegExp(`${MAX_MESSAGE_SIZE + 1} exceeds maxMessageSizeBytes ${MAX_MESSAGE_SIZE}`));
    }
  });

  it('(c) invalid BSON in the reply: MongoProtocolError', async () => {
    const c = await start('badBson');
    const { command, read } = await failures(c);
    for (const e of [command, read]) {
      expectProtocolFailure(e);
      expect(causeChain(e)).toMatch(/invalid BSON/i);
    }
  });

  it('(d) connection closed mid-reply: MongoNetworkError that says so', async () => {
    const c = await start('closeMidReply');
    const { command, read } = await failures(c);
    for (const e of [command, read]) {
      expect(e).toBeInstanceOf(MongoNetworkError);
      expect(causeChain(e)).toMatch(/closed mid-reply/);
    }
  });

  it('(e) never replies to a command: socketTimeoutMS gives a MongoNetworkTimeoutError', async () => {
    const c = await start('silent', '&socketTimeoutMS=300');
    const { command, read } = await failures(c);
    for (const e of [command, read]) {
      expect(e).toBeInstanceOf(MongoNetworkTimeoutError);
      expect(causeChain(e)).toMatch(/timed out|timeout/i);
    }
  });

  it('(e) never answers hello: MongoServerSelectionError with a cause that says what happened', async () => {
    const c = await start('silentHello', '&socketTimeoutMS=300');
    const e = await c.connect().then(
      () => new Error('expected a failure'),
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(MongoServerSelectionError);
    expect(causeChain(e)).toMatch(/timed out|timeout/i);
    expect(fake!.commands).toContain('hello');
    // an operation fails the same way, and the client still closes
    const op = await c
      .db('test')
      .command({ ping: 1 })
      .catch((x: unknown) => x);
    expect(op).toBeInstanceOf(MongoServerSelectionError);
  });

  it('nothing is listening: MongoServerSelectionError caused by the connection failure', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    client = new MongoClient(`mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=500`);
    const e = await client.connect().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MongoServerSelectionError);
    expect(causeChain(e)).toMatch(/ECONNREFUSED/);
  });
});
