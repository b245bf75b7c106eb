/**
 * The types of change streams (Change Streams spec "Response Format", named as the
 * official driver names them): the options of `watch()`, the change events a stream
 * returns (one interface per `operationType`, and their union ChangeStreamDocument),
 * and the events a ChangeStream emits.
 */
import type { Binary, Timestamp } from 'bson';
import type { Document } from '../errors.js';
import type { AggregateOptions } from '../client/aggregation-cursor.js';
import type { ServerSessionId } from '../client/sessions.js';
import type { InferIdType } from '../client/types.js';

/** An opaque resume token: a change's `_id`, or a batch's `postBatchResumeToken`. */
export type ResumeToken = unknown;

/** A point in a deployment's oplog (any reply's `operationTime`). */
export type OperationTime = Timestamp;

/**
 * The options of `watch()`. `resumeAfter`, `startAfter` and `startAtOperationTime` are
 * mutually exclusive: the server refuses more than one. Change streams need read
 * concern "majority" or none (the server refuses others).
 */
export interface ChangeStreamOptions extends Omit<AggregateOptions, 'writeConcern' | 'explain'> {
  /** 'updateLookup' | 'whenAvailable' | 'required' (any string is passed to the server). */
  fullDocument?: string;
  /** 'whenAvailable' | 'required' | 'off' (any string is passed to the server). */
  fullDocumentBeforeChange?: string;
  /** getMore's maxTimeMS: how long the server waits for changes before an empty batch. */
  maxAwaitTimeMS?: number;
  /** Start after this change (a resume token). */
  resumeAfter?: ResumeToken;
  /** Like resumeAfter, but may start after an invalidate event. */
  startAfter?: ResumeToken;
  /** Start at this cluster time. */
  startAtOperationTime?: OperationTime;
  batchSize?: number;
  /** Also the DDL events (createIndexes, dropIndexes, modify, create, shardCollection, ...). */
  showExpandedEvents?: boolean;
}

export interface ChangeStreamNameSpace {
  db: string;
  coll: string;
}

export interface ChangeStreamDocumentKey<TSchema extends Document = Document> {
  /** `_id`, and the shard key fields on a sharded collection. */
  documentKey: { _id: InferIdType<TSchema>; [shardKey: string]: any };
}

export interface ChangeStreamSplitEvent {
  fragment: number;
  of: number;
}

export interface ChangeStreamDocumentCommon {
  /** The resume token of this change. */
  _id: ResumeToken;
  clusterTime?: Timestamp;
  /** Multi-document transactions only. */
  txnNumber?: number;
  lsid?: ServerSessionId;
  /** Present when $changeStreamSplitLargeEvent split this event. */
  splitEvent?: ChangeStreamSplitEvent;
  wallTime?: Date;
}

export interface ChangeStreamDocumentCollectionUUID {
  /** With showExpandedEvents: the collection's UUID. */
  collectionUUID: Binary;
}

export interface ChangeStreamDocumentOperationDescription {
  /** With showExpandedEvents: what the DDL operation did. */
  operationDescription?: Document;
}

export interface UpdateDescription<TSchema extends Document = Document> {
  updatedFields?: Partial<TSchema>;
  removedFields?: string[];
  truncatedArrays?: Array<{ field: string; newSize: number }>;
  /** With showExpandedEvents: the path components of ambiguous updated paths. */
  disambiguatedPaths?: Document;
}

export interface ChangeStreamInsertDocument<TSchema extends Document = Document>
  extends ChangeStreamDocumentCommon,
    ChangeStreamDocumentKey<TSchema>,
    ChangeStreamDocumentCollectionUUID {
  operationType: 'insert';
  fullDocument: TSchema;
  ns: ChangeStreamNameSpace;
}

export interface ChangeStreamUpdateDocument<TSchema extends Document = Document>
  extends ChangeStreamDocumentCommon,
    ChangeStreamDocumentKey<TSchema>,
    ChangeStreamDocumentCollectionUUID {
  operationType: 'update';
  /** With fullDocument 'updateLookup' | 'whenAvailable' | 'required'. */
  fullDocument?: TSchema;
  updateDescription: UpdateDescription<TSchema>;
  ns: ChangeStreamNameSpace;
  fullDocumentBeforeChange?: TSchema;
}

export interface ChangeStreamReplaceDocument<TSchema extends Document = Document>
  extends ChangeStreamDocumentCommon,
    ChangeStreamDocumentKey<TSchema> {
  operationType: 'replace';
  fullDocument: TSchema;
  ns: ChangeStreamNameSpace;
  fullDocumentBeforeChange?: TSchema;
}

export interface ChangeStreamDeleteDocument<TSchema extends Document = Document>
  extends ChangeStreamDocumentCommon,
    ChangeStreamDocumentKey<TSchema>,
    ChangeStreamDocumentCollectionUUID {
  operationType: 'delete';
  ns: ChangeStreamNameSpace;
  fullDocumentBeforeChange?: TSchema;
}

export interface ChangeStreamDropDocument extends ChangeStreamDocumentCommon, ChangeStreamDocumentCollectionUUID {
  operationType: 'drop';
  ns: ChangeStreamNameSpace;
}

export interface ChangeStreamRenameDocument extends ChangeStreamDocumentCommon, ChangeStreamDocumentCollectionUUID {
  operationType: 'rename';
  /** The new namespace. */
  to: { db: string; coll: string };
  ns: ChangeStreamNameSpace;
}

export interface ChangeStreamDropDatabaseDocument extends ChangeStreamDocumentCommon {
  operationType: 'dropDatabase';
  ns: { db: string };
}

export interface ChangeStreamInvalidateDocument extends ChangeStreamDocumentCommon {
  operationType: 'invalidate';
}

export interface ChangeStreamCreateIndexDocument
  extends ChangeStreamDocumentCommon,
    ChangeStreamDocumentCollectionUUID,
    ChangeStreamDocumentOperationDescription {
  operationType: 'createIndexes';
}

export interface ChangeStreamDropIndexDocument
  extends ChangeStreamDocumentCommon,
    ChangeStreamDocumentCollectionUUID,
    ChangeStreamDocumentOperationDescription {
  operationType: 'dropIndexes';
}

export interface ChangeStreamCollModDocument extends ChangeStreamDocumentCommon, ChangeStreamDocumentCollectionUUID {
  operationType: 'modify';
}

export interface ChangeStreamCreateDocument extends ChangeStreamDocumentCommon, ChangeStreamDocumentCollectionUUID {
  operationType: 'create';
  /** 8.1+: what was created. */
  nsType?: 'collection' | 'timeseries' | 'view';
}

export interface ChangeStreamShardCollectionDocument
  extends ChangeStreamDocumentCommon,
    ChangeStreamDocumentCollectionUUID,
    ChangeStreamDocumentOperationDescription {
  operationType: 'shardCollection';
}

export interface ChangeStreamReshardCollectionDocument
  extends ChangeStreamDocumentCommon,
    ChangeStreamDocumentCollectionUUID,
    ChangeStreamDocumentOperationDescription {
  operationType: 'reshardCollection';
}

export interface ChangeStreamRefineCollectionShardKeyDocument
  extends ChangeStreamDocumentCommon,
    ChangeStreamDocumentCollectionUUID,
    ChangeStreamDocumentOperationDescription {
  operationType: 'refineCollectionShardKey';
}

/** Every change event; unknown operationTypes are returned as the server sent them. */
export type ChangeStreamDocument<TSchema extends Document = Document> =
  | ChangeStreamInsertDocument<TSchema>
  | ChangeStreamUpdateDocument<TSchema>
  | ChangeStreamReplaceDocument<TSchema>
  | ChangeStreamDeleteDocument<TSchema>
  | ChangeStreamDropDocument
  | ChangeStreamRenameDocument
  | ChangeStreamDropDatabaseDocument
  | ChangeStreamInvalidateDocument
  | ChangeStreamCreateIndexDocument
  | ChangeStreamCreateDocument
  | ChangeStreamCollModDocument
  | ChangeStreamDropIndexDocument
  | ChangeStreamShardCollectionDocument
  | ChangeStreamReshardCollectionDocument
  | ChangeStreamRefineCollectionShardKeyDocument;

/** The events of a ChangeStream (as the official driver's ChangeStreamEvents). */
export type ChangeStreamEvents<TSchema extends Document = Document, TChange extends Document = ChangeStreamDocument<TSchema>> = {
  /** A new resume token was cached. */
  resumeTokenChanged: ResumeToken;
  /** The reply of the initial aggregate (and of each resume's). */
  init: Document;
  /** The reply of a getMore. */
  more: Document;
  /** After each init or more. */
  response: void;
  /** Event mode: a change. */
  change: TChange;
  /** Event mode: the error that ended the stream. */
  error: unknown;
  /** The stream was closed. */
  close: void;
  /** The server ended the stream (its cursor is exhausted, e.g. after an invalidate). */
  end: void;
};
