export * from './constants.js';
export * from './header.js';
export * from './op-msg.js';
export * from './op-query.js';
export * from './framer.js';
export { crc32c } from './crc32c.js';
export { encodeDocument, decodeDocumentAt } from './bson-io.js';
export { attachEncodedSection, encodedSectionOf, encodeSequenceSection } from './document-sequence.js';
