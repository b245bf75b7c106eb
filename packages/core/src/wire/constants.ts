/** Wire protocol constants, named as in the MongoDB Wire Protocol documentation. */
export const OP_REPLY = 1;
export const OP_UPDATE = 2001;
export const OP_INSERT = 2002;
export const OP_QUERY = 2004;
export const OP_GET_MORE = 2005;
export const OP_DELETE = 2006;
export const OP_KILL_CURSORS = 2007;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MESSAGE_HEADER_SIZE = 16;
/** mongod's default maxMessageSizeBytes. */
export const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const DEFAULT_MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_WRITE_BATCH_SIZE = 100_000;

/** OP_MSG flag bits. */
export const OP_MSG_CHECKSUM_PRESENT = 1 << 0;
export const OP_MSG_MORE_TO_COME = 1 << 1;
export const OP_MSG_EXHAUST_ALLOWED = 1 << 16;
/** Bits 0-15 are required: a receiver must reject unknown ones. */
export const OP_MSG_REQUIRED_BITS_MASK = 0xffff;

/** OP_QUERY flag bits. */
export const OP_QUERY_TAILABLE_CURSOR = 1 << 1;
export const OP_QUERY_SECONDARY_OK = 1 << 2;
export const OP_QUERY_NO_CURSOR_TIMEOUT = 1 << 4;
export const OP_QUERY_AWAIT_DATA = 1 << 5;
export const OP_QUERY_EXHAUST = 1 << 6;

/** OP_REPLY responseFlags bits. */
export const OP_REPLY_CURSOR_NOT_FOUND = 1 << 0;
export const OP_REPLY_QUERY_FAILURE = 1 << 1;
export const OP_REPLY_AWAIT_CAPABLE = 1 << 3;

/** OP_COMPRESSED compressor ids. */
export const COMPRESSOR_NOOP = 0;
export const COMPRESSOR_SNAPPY = 1;
export const COMPRESSOR_ZLIB = 2;
export const COMPRESSOR_ZSTD = 3;
