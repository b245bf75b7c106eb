/**
 * Schema-aware types for Collection<TSchema>, modelled (loosely) on the official
 * driver: filters and updates are checked on top-level keys, anything else
 * (dotted paths, operators) is accepted.
 */
import type { ObjectId } from 'bson';
import type { Document } from '../errors.js';

/** The `_id` type of a schema: its declared `_id`, else ObjectId. */
export type InferIdType<TSchema> = TSchema extends { _id: infer IdType }
  ? Record<any, never> extends IdType
    ? never
    : IdType
  : TSchema extends { _id?: infer U }
    ? unknown extends U
      ? any // an untyped collection: the official driver says ObjectId (and refuses other _ids); any accepts both
      : U
    : ObjectId;

export type EnhancedOmit<TRecordOrUnion, KeyUnion> = string extends keyof TRecordOrUnion
  ? TRecordOrUnion
  : TRecordOrUnion extends any
    ? Pick<TRecordOrUnion, Exclude<keyof TRecordOrUnion, KeyUnion>>
    : never;

export type WithId<TSchema> = EnhancedOmit<TSchema, '_id'> & { _id: InferIdType<TSchema> };
export type WithoutId<TSchema> = Omit<TSchema, '_id'>;
export type OptionalId<TSchema> = EnhancedOmit<TSchema, '_id'> & { _id?: InferIdType<TSchema> };
export type OptionalUnlessRequiredId<TSchema> = TSchema extends { _id: any } ? TSchema : OptionalId<TSchema>;

export interface FilterOperators<TValue> {
  $eq?: TValue;
  $gt?: TValue;
  $gte?: TValue;
  $in?: ReadonlyArray<TValue>;
  $lt?: TValue;
  $lte?: TValue;
  $ne?: TValue;
  $nin?: ReadonlyArray<TValue>;
  $not?: FilterOperators<TValue> | RegExp;
  $exists?: boolean;
  $type?: string | number;
  $regex?: RegExp | string;
  $options?: string;
  $all?: ReadonlyArray<any>;
  $elemMatch?: Document;
  $size?: number;
  [key: string]: any;
}

export type Condition<T> = T | (T extends ReadonlyArray<infer U> ? U | RegExp : RegExp) | FilterOperators<T>;

export interface RootFilterOperators<TSchema> {
  $and?: Filter<TSchema>[];
  $or?: Filter<TSchema>[];
  $nor?: Filter<TSchema>[];
  $expr?: Record<string, any>;
  $text?: { $search: string; $language?: string; $caseSensitive?: boolean; $diacriticSensitive?: boolean };
  $where?: string | ((this: TSchema) => boolean);
  $comment?: string | Document;
  [key: string]: any;
}

export type Filter<TSchema> = {
  [P in keyof WithId<TSchema>]?: Condition<WithId<TSchema>[P]>;
} & RootFilterOperators<WithId<TSchema>>;

export type MatchKeysAndValues<TSchema> = Readonly<Partial<TSchema>> & Record<string, any>;

export type UpdateFilter<TSchema> = {
  $currentDate?: Record<string, true | { $type: 'date' | 'timestamp' }>;
  $inc?: Record<string, number | bigint | Document>;
  $min?: MatchKeysAndValues<TSchema>;
  $max?: MatchKeysAndValues<TSchema>;
  $mul?: Record<string, number | bigint | Document>;
  $rename?: Record<string, string>;
  $set?: MatchKeysAndValues<TSchema>;
  $setOnInsert?: MatchKeysAndValues<TSchema>;
  $unset?: Record<string, '' | true | 1>;
  $addToSet?: Record<string, any>;
  $pop?: Record<string, 1 | -1>;
  $pull?: Record<string, any>;
  $push?: Record<string, any>;
  $pullAll?: Record<string, ReadonlyArray<any>>;
  $bit?: Record<string, { and: number | bigint } | { or: number | bigint } | { xor: number | bigint }>;
} & Document;

export type SortDirection = 1 | -1 | 'asc' | 'desc' | 'ascending' | 'descending' | { $meta: string };
export type Sort =
  | string
  | Exclude<SortDirection, { $meta: string }>
  | ReadonlyArray<string>
  | { [key: string]: SortDirection }
  | ReadonlyMap<string, SortDirection>
  | ReadonlyArray<[string, SortDirection]>
  | [string, SortDirection];

export type Hint = string | Document;

export interface CollationOptions {
  locale: string;
  caseLevel?: boolean;
  caseFirst?: string;
  strength?: number;
  numericOrdering?: boolean;
  alternate?: string;
  maxVariable?: string;
  backwards?: boolean;
  normalization?: boolean;
}

export type IndexDirection = -1 | 1 | '2d' | '2dsphere' | 'text' | 'geoHaystack' | 'hashed' | number;
export type IndexSpecification =
  | string
  | [string, IndexDirection]
  | { [key: string]: IndexDirection }
  | ReadonlyMap<string, IndexDirection>
  | ReadonlyArray<string | [string, IndexDirection] | { [key: string]: IndexDirection } | ReadonlyMap<string, IndexDirection>>;

export interface IndexDescription {
  key: { [key: string]: IndexDirection } | ReadonlyMap<string, IndexDirection>;
  name?: string;
  unique?: boolean;
  sparse?: boolean;
  background?: boolean;
  expireAfterSeconds?: number;
  partialFilterExpression?: Document;
  hidden?: boolean;
  collation?: CollationOptions;
  [key: string]: unknown;
}

export type ReturnDocument = 'before' | 'after';
export const ReturnDocument = Object.freeze({ BEFORE: 'before', AFTER: 'after' } as const);

/** The BSON type numbers a `$type` query operator takes, by the server's alias (the official driver's constant). */
export const BSONType = Object.freeze({
  double: 1,
  string: 2,
  object: 3,
  array: 4,
  binData: 5,
  undefined: 6,
  objectId: 7,
  bool: 8,
  date: 9,
  null: 10,
  regex: 11,
  dbPointer: 12,
  javascript: 13,
  symbol: 14,
  javascriptWithScope: 15,
  int: 16,
  timestamp: 17,
  long: 18,
  decimal: 19,
  minKey: -1,
  maxKey: 127,
} as const);
export type BSONType = (typeof BSONType)[keyof typeof BSONType];
