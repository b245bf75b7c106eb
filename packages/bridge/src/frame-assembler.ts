/**
 * DataFrameAssembler: cuts one channel's TCP stream from its target into bridge data
 * frames (docs/bridge-protocol.md §2: 1 byte type, 4 bytes channel id, one whole wire
 * message). What MessageFramer does, plus the frame header, with one copy per message:
 * a message's bytes go once, straight behind its header, into a buffer allocated
 * (uninitialised: every byte is written) when the message is complete. Framing the
 * message first and prefixing the header after would copy it twice (and zero-fill the
 * second buffer); at 1 MiB that was the bridge's largest cost after WebSocket masking.
 *
 * Limits before buffering: the declared length is checked as soon as its 4-byte prefix
 * has arrived (under 16 or over the limit: a MongoProtocolError, and the assembler is
 * unusable afterwards). Until a message is complete only the chunks that arrived are
 * held, never a buffer sized by what the target declared.
 */
import { Buffer } from 'node:buffer';
import {
  BRIDGE_FRAME_HEADER_SIZE,
  BridgeFrameType,
  MESSAGE_HEADER_SIZE,
} from '@mongo-edge/core/internal';
import { DriverErrorCode, MongoProtocolError } from '@mongo-edge/core';

export class DataFrameAssembler {
  readonly #channelId: number;
  readonly #maxMessageSize: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Declared length of the message being assembled; -1 until its prefix is read. */
  #expected = -1;
  #failed: MongoProtocolError | undefined;
  readonly #alloc: (size: number) => Buffer;

  /** `alloc` gives an uninitialised buffer of exactly `size` bytes (default Buffer.allocUnsafe; a FramePool's take). */
  constructor(channelId: number, maxMessageSize: number, alloc: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size)) {
    if (channelId >>> 0 !== channelId) throw new RangeError(`invalid bridge channel id ${channelId}`);
    this.#channelId = channelId;
    this.#maxMessageSize = maxMessageSize;
    this.#alloc = alloc;
  }

  /** Bytes held while waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Feed bytes from the target; returns the data frames of the messages they complete. */
  push(chunk: Buffer): Buffer[] {
    if (this.#failed) throw this.#failed;
    const out: Buffer[] = [];
    if (chunk.byteLength === 0) return out;
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    for (;;) {
      if (this.#expected < 0) {
        if (this.#buffered < 4) break;
        const length = this.#prefix();
        if (length < MESSAGE_HEADER_SIZE) {
          throw (this.#failed = new MongoProtocolError(`invalid message length ${length}: smaller than the 16-byte header`));
        }
        if (length > this.#maxMessageSize) {
          throw (this.#failed = new MongoProtocolError(
            `message length ${length} exceeds maxMessageSizeBytes ${this.#maxMessageSize}`,
            DriverErrorCode.MessageTooLarge,
          ));
        }
        this.#expected = length;
      }
      if (this.#buffered < this.#expected) break;
      out.push(this.#takeFrame(this.#expected));
      this.#expected = -1;
    }
    return out;
  }

  /** The little-endian int32 length prefix of the buffered bytes (at least 4 are buffered). */
  #prefix(): number {
    const first = this.#chunks[0]!;
    if (first.byteLength >= 4) return first.readInt32LE(0);
    const four = Buffer.allocUnsafe(4);
    let o = 0;
    for (const c of this.#chunks) {
      const n = Math.min(4 - o, c.byteLength);
      c.copy(four, o, 0, n);
      o += n;
      if (o === 4) break;
    }
    return four.readInt32LE(0);
  }

  /** Removes the first n buffered bytes into a new data frame. */
  #takeFrame(n: number): Buffer {
    const frame = this.#alloc(BRIDGE_FRAME_HEADER_SIZE + n);
    frame[0] = BridgeFrameType.Data;
    frame.writeUInt32BE(this.#channelId, 1);
    let o = BRIDGE_FRAME_HEADER_SIZE;
    let left = n;
    while (left > 0) {
      const c = this.#chunks[0]!;
      if (c.byteLength > left) {
        c.copy(frame, o, 0, left);
        this.#chunks[0] = c.subarray(left);
        break;
      }
      c.copy(frame, o);
      o += c.byteLength;
      left -= c.byteLength;
      this.#chunks.shift();
    }
    this.#buffered -= n;
    return frame;
  }
}
