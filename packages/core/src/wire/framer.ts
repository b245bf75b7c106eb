/**
 * Splits a byte stream into whole wire messages. The declared length is checked as
 * soon as the 4-byte length prefix arrives, before any body is buffered: a length
 * under 16 or over maxMessageSizeBytes is a MongoProtocolError and the stream is
 * unusable afterwards.
 */
import { DriverErrorCode, MongoProtocolError } from '../errors.js';
import { DEFAULT_MAX_MESSAGE_SIZE_BYTES, MESSAGE_HEADER_SIZE } from './constants.js';

export class MessageFramer {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private expected = -1;
  private failed: MongoProtocolError | undefined;

  constructor(public maxMessageSizeBytes: number = DEFAULT_MAX_MESSAGE_SIZE_BYTES) {}

  /** Bytes held while waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feed bytes; returns the complete messages they finish (possibly none). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed) throw this.failed;
    const out: Uint8Array[] = [];
    if (chunk.byteLength === 0) return out;
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < 4) break;
        const prefix = this.peek(4);
        const length = new DataView(prefix.buffer, prefix.byteOffset, 4).getInt32(0, true);
        if (length < MESSAGE_HEADER_SIZE) {
          this.failed = new MongoProtocolError(`invalid message length ${length}: smaller than the 16-byte header`);
          throw this.failed;
        }
        if (length > this.maxMessageSizeBytes) {
          this.failed = new MongoProtocolError(
            `message length ${length} exceeds maxMessageSizeBytes ${this.maxMessageSizeBytes}`,
            DriverErrorCode.MessageTooLarge,
          );
          throw this.failed;
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      out.push(this.take(this.expected));
      this.expected = -1;
    }
    return out;
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.byteLength >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      const part = c.subarray(0, Math.min(c.byteLength, n - o));
      out.set(part, o);
      o += part.byteLength;
      if (o === n) break;
    }
    return out;
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    let out: Uint8Array;
    if (first.byteLength >= n) {
      out = first.subarray(0, n);
      if (first.byteLength === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let o = 0;
      while (o < n) {
        const c = this.chunks[0]!;
        const need = n - o;
        if (c.byteLength <= need) {
          out.set(c, o);
          o += c.byteLength;
          this.chunks.shift();
        } else {
          out.set(c.subarray(0, need), o);
          this.chunks[0] = c.subarray(need);
          o = n;
        }
      }
    }
    this.buffered -= n;
    return out;
  }
}
