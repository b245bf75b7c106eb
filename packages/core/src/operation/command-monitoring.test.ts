import { describe, expect, it } from 'vitest';
import { commandWithSequences, isSensitiveCommand, monitorCommand } from './command-events.js';
import { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent, type CommandEventEmitter } from './command-monitoring.js';

function record() {
  const events: { name: string; event: Record<string, unknown> }[] = [];
  const emit: CommandEventEmitter = (name, event) => {
    events.push({ name, event: event as unknown as Record<string, unknown> });
  };
  return { events, emit };
}

const sent = (command: Record<string, unknown>) => ({ databaseName: 'admin', command, address: 'a:1', connectionId: 1 });

describe('command monitoring redaction', () => {
  it.each([
    ['authenticate', { authenticate: 1, mechanism: 'MONGODB-X509' }, true],
    ['saslStart', { saslStart: 1, payload: 'x' }, true],
    ['saslContinue', { saslContinue: 1, conversationId: 0, payload: 'x' }, true],
    ['getnonce', { getnonce: 1 }, true],
    ['createUser', { createUser: 'u', pwd: 'p', roles: [] }, true],
    ['updateUser', { updateUser: 'u', pwd: 'p' }, true],
    ['copydbgetnonce', { copydbgetnonce: 1 }, true],
    ['copydbsaslstart', { copydbsaslstart: 1 }, true],
    ['copydb', { copydb: 1 }, true],
    ['hello', { hello: 1, speculativeAuthenticate: { saslStart: 1 } }, true],
    ['isMaster', { isMaster: 1, speculativeAuthenticate: { saslStart: 1 } }, true],
    ['ismaster', { ismaster: 1, speculativeAuthenticate: { saslStart: 1 } }, true],
    ['hello', { hello: 1 }, false],
    ['ismaster', { ismaster: 1 }, false],
    ['find', { find: 'c', speculativeAuthenticate: 1 }, false],
    ['dropUser', { dropUser: 'u' }, false],
  ] as const)('%s %j -> sensitive %s', (name, command, expected) => {
    expect(isSensitiveCommand(name, command)).toBe(expected);
  });

  it('empties the command, the reply and the failure of a sensitive command', () => {
    const { events, emit } = record();
    const m = monitorCommand(emit, sent({ saslStart: 1, payload: 'secret' }));
    m.succeeded({ ok: 1, payload: 'secret' });
    const f = monitorCommand(emit, sent({ createUser: 'u', pwd: 'secret' }));
    f.failed(new Error('secret'));
    expect(events.map((e) => [e.name, e.event.commandName, e.event.command ?? e.event.reply ?? e.event.failure])).toEqual([
      ['commandStarted', 'saslStart', {}],
      ['commandSucceeded', 'saslStart', {}],
      ['commandStarted', 'createUser', {}],
      ['commandFailed', 'createUser', {}],
    ]);
  });

  it('keeps an ordinary command and reply', () => {
    const { events, emit } = record();
    const m = monitorCommand(emit, sent({ hello: 1 }));
    m.succeeded({ ok: 1, isWritablePrimary: true });
    expect(events[0]!.event.command).toEqual({ hello: 1, $db: 'admin' });
    expect(events[1]!.event.reply).toEqual({ ok: 1, isWritablePrimary: true });
  });
});

describe('command events as the official driver shapes them', () => {
  it('are instances of CommandStartedEvent / CommandSucceededEvent / CommandFailedEvent', () => {
    const { events, emit } = record();
    const m = monitorCommand(emit, sent({ ping: 1 }));
    m.succeeded({ ok: 1 });
    monitorCommand(emit, sent({ ping: 1 })).failed(new Error('x'));
    expect(events.map((e) => e.event.constructor.name)).toEqual(['CommandStartedEvent', 'CommandSucceededEvent', 'CommandStartedEvent', 'CommandFailedEvent']);
    expect(events[0]!.event).toBeInstanceOf(CommandStartedEvent);
    expect(events[1]!.event).toBeInstanceOf(CommandSucceededEvent);
    expect(events[3]!.event).toBeInstanceOf(CommandFailedEvent);
  });

  it('puts document sequences where the official command document has them', () => {
    const docs = [{ _id: 1 }];
    expect(Object.keys(commandWithSequences({ insert: 'c', ordered: true }, { documents: docs }, 'db'))).toEqual(['insert', 'documents', 'ordered', '$db']);
    expect(Object.keys(commandWithSequences({ bulkWrite: 1, errorsOnly: true, ordered: true, comment: 'x' }, { ops: docs, nsInfo: docs }, 'admin'))).toEqual([
      'bulkWrite',
      'errorsOnly',
      'ordered',
      'ops',
      'nsInfo',
      'comment',
      '$db',
    ]);
    expect(commandWithSequences({ find: 'c' }, undefined, 'db')).toEqual({ find: 'c', $db: 'db' });
  });
});
