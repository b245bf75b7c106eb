import { MESSAGE_HEADER_SIZE } from './constants.js';

export interface MessageHeader {
  readonly messageLength: number;
  readonly requestId: number;
  readonly responseTo: number;
  readonly opCode: number;
}

export function readHeader(bytes: Uint8Array, offset = 0): MessageHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, MESSAGE_HEADER_SIZE);
  return {
    messageLength: v.getInt32(0, true),
    requestId: v.getInt32(4, true),
    responseTo: v.getInt32(8, true),
    opCode: v.getInt32(12, true),
  };
}

export function writeHeader(target: Uint8Array, h: MessageHeader): void {
  const v = new DataView(target.buffer, target.byteOffset, MESSAGE_HEADER_SIZE);
  v.setInt32(0, h.messageLength, true);
  v.setInt32(4, h.requestId, true);
  v.setInt32(8, h.responseTo, true);
  v.setInt32(12, h.opCode, true);
}

let nextRequestId = 1;
/** Process-wide increasing request ids (wrapping inside int32). */
export function newRequestId(): number {
  const id = nextRequestId;
  nextRequestId = nextRequestId >= 0x7fffffff ? 1 : nextRequestId + 1;
  return id;
}
