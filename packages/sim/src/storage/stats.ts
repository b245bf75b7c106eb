/**
 * A collection's storage statistics as mongod 7.0 reports them in the `collStats`
 * command and in `$collStats: { storageStats: {} }`: sizes are the documents' BSON sizes
 * (the sim has no compression or padding; each collection and index counts one 4 KiB page).
 */
import type { CollectionState } from './engine.js';
import { bsonSize, toView, type Doc } from './values.js';

/** The summed BSON size of the collection's documents. */
export function dataSize(c: CollectionState): number {
  let size = 0;
  for (const d of c.docs.values()) size += bsonSize(d.doc);
  return size;
}

/** The storage statistics of a collection (zeros for one that does not exist). */
export function storageStats(c: CollectionState | undefined): Doc {
  const size = c ? dataSize(c) : 0;
  const count = c?.docs.size ?? 0;
  const nindexes = c?.indexes.length ?? 0;
  const capped = c?.options.capped === true;
  return {
    size,
    count,
    avgObjSize: count ? Math.floor(size / count) : 0,
    numOrphanDocs: 0,
    storageSize: size + 4096,
    freeStorageSize: 0,
    capped,
    // a capped collection also reports its limits: documents (0 = none) and bytes
    ...(capped && { max: Number(toView(c!.options.max) ?? 0), maxSize: Number(toView(c!.options.size) ?? 0) }),
    nindexes,
    indexBuilds: [],
    totalIndexSize: 4096 * nindexes,
    totalSize: size + 4096 + 4096 * nindexes,
    indexSizes: Object.fromEntries((c?.indexes ?? []).map((i) => [i.name, 4096])),
    scaleFactor: 1,
  };
}
