/**
 * DataFrameAssembler: cuts one channel's TCP stream from its target into bridge data
 * frames (docs/bridge-protocol.md §2: 1 byte type, 4 bytes channel id, one whole wire
 * message). The core's MessageFramer does the cutting and its limits (a declared length
 * under 16 or over the limit is a MongoProtocolError as soon as the 4-byte prefix has
 * arrived, and the assembler is unusable afterwards); its FrameOutput puts each message
 * once, straight behind room for the frame header, into a buffer allocated (uninitialised:
 * every byte is written) when the message is complete. Framing the message first and
 * prefixing the header after would copy it twice (and zero-fill the second buffer); at
 * 1 MiB that was the bridge's largest cost after WebSocket masking.
 */
import { Buffer } from 'node:buffer';
import { BRIDGE_FRAME_HEADER_SIZE, BridgeFrameType, MessageFramer } from '@mongo-edge/core/internal';

export class DataFrameAssembler {
  readonly #channelId: number;
  readonly #framer: MessageFramer<Buffer>;

  /** `alloc` gives an uninitialised buffer of exactly `size` bytes (default Buffer.allocUnsafe; a FramePool's take). */
  constructor(channelId: number, maxMessageSize: number, alloc: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size)) {
    if (channelId >>> 0 !== channelId) throw new RangeError(`invalid bridge channel id ${channelId}`);
    this.#channelId = channelId;
    this.#framer = new MessageFramer(maxMessageSize, { headroom: BRIDGE_FRAME_HEADER_SIZE, alloc });
  }

  /** Bytes held while waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.#framer.bufferedBytes;
  }

  /** Feed bytes from the target; returns the data frames of the messages they complete. */
  push(chunk: Buffer): Buffer[] {
    const frames = this.#framer.push(chunk);
    for (const frame of frames) {
      frame[0] = BridgeFrameType.Data;
      frame.writeUInt32BE(this.#channelId, 1);
    }
    return frames;
  }
}
