import { BSON } from 'bson';
import { describe, expect, it } from 'vitest';
import { attachEncodedSection, encodedSectionOf, encodeSequenceSection } from './document-sequence.js';
import { concatChunks, decodeOpMsg, encodeOpMsg } from './op-msg.js';

describe('document sequences from encoded documents', () => {
  it('lays out kind 1, the size from itself, the identifier and its NUL, then the documents', () => {
    const docs = [{ _id: 1 }, { _id: 2, s: 'é' }];
    const encoded = docs.map((d) => BSON.serialize(d));
    const section = encodeSequenceSection('documents', encoded);
    const docBytes = encoded[0]!.byteLength + encoded[1]!.byteLength;
    expect(section.byteLength).toBe(1 + 4 + 10 + docBytes);
    expect(section[0]).toBe(1);
    expect(new DataView(section.buffer).getInt32(1, true)).toBe(4 + 10 + docBytes);
    expect(new TextDecoder().decode(section.subarray(5, 15))).toBe('documents\0');
    expect(Array.from(section.subarray(15))).toEqual([...encoded[0]!, ...encoded[1]!]);
    expect(encodeSequenceSection('documents', encoded, docBytes)).toEqual(section);
  });

  it('encodeOpMsg sends an attached section as is, and the message decodes to the same documents', () => {
    const docs = [{ a: 1 }, { b: [1, 2] }];
    const section = encodeSequenceSection('documents', docs.map((d) => BSON.serialize(d)));
    attachEncodedSection(docs, 'documents', section);
    const chunks = encodeOpMsg({ requestId: 3, body: { insert: 'c', $db: 'd' }, sequences: { documents: docs } });
    expect(chunks[2]).toBe(section);
    // a retry sends the same documents: the same bytes
    expect(encodeOpMsg({ requestId: 3, body: { insert: 'c', $db: 'd' }, sequences: { documents: docs } })[2]).toBe(section);
    const plain = concatChunks(encodeOpMsg({ requestId: 3, body: { insert: 'c', $db: 'd' }, sequences: { documents: [...docs] } }));
    expect(concatChunks(chunks)).toEqual(plain);
    expect(decodeOpMsg(plain).sequences.documents).toEqual(docs);
  });

  it('is not used for another identifier, nor once the array has changed length', () => {
    const docs: object[] = [{ a: 1 }];
    const section = encodeSequenceSection('documents', docs.map((d) => BSON.serialize(d)));
    attachEncodedSection(docs, 'documents', section);
    expect(encodedSectionOf(docs, 'documents')).toBe(section);
    expect(encodedSectionOf(docs, 'updates')).toBeUndefined();
    docs.push({ b: 2 });
    expect(encodedSectionOf(docs, 'documents')).toBeUndefined();
    const sent = decodeOpMsg(concatChunks(encodeOpMsg({ requestId: 1, body: { insert: 'c' }, sequences: { documents: docs } })));
    expect(sent.sequences.documents).toEqual([{ a: 1 }, { b: 2 }]);
  });
});
