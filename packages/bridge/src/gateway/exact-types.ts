/**
 * BSON type fidelity on the way in (pure). The gateway decodes a client's command with
 * numbers promoted (the rules compare plain values), which turns a double with an
 * integral value (1.0) into the number 1, and the encoder would send that as an int32.
 * `restoreDoubles` puts the client's Double back wherever the command to send still holds
 * the client's value at the same path: the same key (or index) all the way down and the
 * same number. Paths the rules rewrote (an AND-ed filter, a clamped limit) keep the
 * gateway's value. Int32 and non-integral doubles need nothing (the encoder gives them
 * back their type); int64 is decoded as Long already.
 */
import { Double } from 'bson';
import { isPlainDocument } from './filter.js';

/** Walks `command` (mutated) alongside `exact`, the same client command decoded without promotion. */
export function restoreDoubles(command: unknown, exact: unknown): unknown {
  if (typeof command === 'number') return exact instanceof Double && exact.value === command && Number.isInteger(command) ? exact : command;
  if (Array.isArray(command)) {
    if (!Array.isArray(exact)) return command;
    for (let i = 0; i < command.length && i < exact.length; i++) command[i] = restoreDoubles(command[i], exact[i]);
    return command;
  }
  if (isPlainDocument(command) && isPlainDocument(exact)) {
    for (const key of Object.keys(command)) if (Object.hasOwn(exact, key)) command[key] = restoreDoubles(command[key], exact[key]);
  }
  return command;
}
