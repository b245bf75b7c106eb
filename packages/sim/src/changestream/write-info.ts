/**
 * What a change stream needs from a write that the post-image alone cannot say, carried
 * on the write entry and copied into its oplog entry as `changeStream` (so it replicates
 * and every member builds the same events):
 *   - `updateDescription` on an update made with operators or a pipeline (its absence
 *     makes the entry a replacement: a `replace` event);
 *   - `preImage` on an update or delete of a collection with changeStreamPreAndPostImages
 *     enabled: the pre-image store is the oplog itself, so a pre-image lives as long as
 *     its entry (mongod's default expiry) and a post-image is the entry's document.
 */
import type { CollectionState, WriteEntry } from '../storage/engine.js';
import { isPlainObject, type Doc } from '../storage/values.js';
import type { UpdateKind } from '../query.js';
import { describeOperatorUpdate, describeUpdate } from './update-description.js';

/** The `changeStream` field of an oplog entry. */
export interface ChangeInfo {
  updateDescription?: Doc;
  preImage?: Doc;
}

type WithChangeInfo = WriteEntry & { changeStream?: ChangeInfo };

export function preAndPostImagesEnabled(c: CollectionState | undefined): boolean {
  const v = c?.options.changeStreamPreAndPostImages;
  return isPlainObject(v) && v.enabled === true;
}

/**
 * The engine entry of an update of `pre` to `post` made by `update` of `kind` (an update
 * with operators is described by what its operators touched; a pipeline by the diff).
 */
export function updateEntry(c: CollectionState | undefined, ns: string, pre: Doc, post: Doc, kind: UpdateKind, update: unknown): WriteEntry {
  const info: ChangeInfo = {};
  if (kind !== 'replacement') {
    const d = kind === 'operators' && isPlainObject(update) ? describeOperatorUpdate(pre, post, update) : describeUpdate(pre, post);
    info.updateDescription = { updatedFields: d.updatedFields, removedFields: d.removedFields, truncatedArrays: d.truncatedArrays, ambiguous: d.ambiguous };
  }
  if (preAndPostImagesEnabled(c)) info.preImage = pre;
  const e: WithChangeInfo = { op: 'u', ns, o2: { _id: post._id }, o: post, changeStream: info };
  return e;
}

/** The engine entry of a delete of `pre`. */
export function deleteEntry(c: CollectionState | undefined, ns: string, pre: Doc): WriteEntry {
  const e: WithChangeInfo = { op: 'd', ns, o: { _id: pre._id } };
  if (preAndPostImagesEnabled(c)) e.changeStream = { preImage: pre };
  return e;
}

/** The change stream fields a write entry carries (for its oplog entry), if any. */
export function changeInfoOf(e: WriteEntry): ChangeInfo | undefined {
  const info = (e as WithChangeInfo).changeStream;
  return info && (info.updateDescription !== undefined || info.preImage !== undefined) ? info : undefined;
}
