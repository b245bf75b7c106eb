/**
 * OP_MSG kind-1 sections (document sequences) from documents encoded once.
 *
 * A bulk write encodes each statement once, to batch by encoded length, and builds each
 * batch's section from those bytes here, into one buffer. The documents still travel as
 * documents (command monitoring reports them, tests and retries see them); the section
 * is attached to the batch's document array, and encodeOpMsg sends the attached bytes
 * instead of encoding the documents a second time. A retry sends the same array, so the
 * same bytes.
 */
import type { Document } from '../errors.js';

/**
 * One kind-1 section in one buffer: kind 1, the int32 size (counted from itself to the
 * end of the last document), the identifier and its NUL, then `encoded` back to back.
 * `documentBytes` is the sum of their lengths when the caller already has it.
 */
export function encodeSequenceSection(identifier: string, encoded: readonly Uint8Array[], documentBytes?: number): Uint8Array {
  let total = documentBytes;
  if (total === undefined) {
    total = 0;
    for (const e of encoded) total += e.byteLength;
  }
  const id = new TextEncoder().encode(identifier);
  const head = 6 + id.byteLength;
  const section = new Uint8Array(head + total);
  section[0] = 1;
  new DataView(section.buffer).setInt32(1, head - 1 + total, true);
  section.set(id, 5);
  let o = head;
  for (const e of encoded) {
    section.set(e, o);
    o += e.byteLength;
  }
  return section;
}

interface AttachedSection {
  readonly identifier: string;
  readonly count: number;
  readonly bytes: Uint8Array;
}

const attached = new WeakMap<readonly Document[], AttachedSection>();

/**
 * Attaches `section` (from encodeSequenceSection, for `identifier`) to `documents`, the
 * documents it holds, in order. Returns `documents`.
 */
export function attachEncodedSection<T extends readonly Document[]>(documents: T, identifier: string, section: Uint8Array): T {
  attached.set(documents, { identifier, count: documents.length, bytes: section });
  return documents;
}

/** The section attached to `documents` for `identifier`; undefined if none or the array has changed length. */
export function encodedSectionOf(documents: readonly Document[], identifier: string): Uint8Array | undefined {
  const a = attached.get(documents);
  return a !== undefined && a.identifier === identifier && a.count === documents.length ? a.bytes : undefined;
}
