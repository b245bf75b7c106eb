/**
 * Db operations most apps never run before their first find or insert: createCollection,
 * collections(), dropDatabase and stats. Loaded on first use (cold/index.ts); Db's methods
 * call these with the Db and its command target.
 */
import type { Document } from '../errors.js';
import { stripDriverOptions, type Collection, type CommandOperationOptions } from './collection.js';
import type { CreateCollectionOptions, Db } from './db.js';
import { copyDefined, isNamespaceNotFound, runWriteCommand, type CommandTarget } from './operation.js';
import type { ClientSession } from './sessions.js';

/** `create` for the collection handle the caller made (a bad name failed there). */
export async function createCollection(target: CommandTarget, collection: Collection<any>, options: CreateCollectionOptions): Promise<void> {
  await runWriteCommand(target, { create: collection.collectionName, ...stripDriverOptions(options) }, options, ['comment', 'maxTimeMS']);
}

/** Collection handles for every non-system collection. */
export async function collections(db: Db, options: { session?: ClientSession }): Promise<Collection[]> {
  const infos = await db.listCollections({}, { nameOnly: true, session: options.session }).toArray();
  return infos.filter((i) => !i.name.startsWith('system.')).map((i) => db.collection(i.name));
}

export async function dropDatabase(target: CommandTarget, options: CommandOperationOptions): Promise<boolean> {
  try {
    await runWriteCommand(target, { dropDatabase: 1 }, options, ['comment']);
  } catch (error) {
    if (!isNamespaceNotFound(error)) throw error;
  }
  return true;
}

/** `dropUser` (Db.removeUser, Admin.removeUser). */
export async function removeUser(target: CommandTarget, username: string, options: CommandOperationOptions): Promise<boolean> {
  await runWriteCommand(target, { dropUser: username }, options, ['comment']);
  return true;
}

export async function dbStats(db: Db, options: CommandOperationOptions & { scale?: number }): Promise<Document> {
  return await db.command(copyDefined({ dbStats: 1 }, options, ['scale', 'comment']), {
    session: options.session,
    readPreference: options.readPreference ?? db.readPreference,
  });
}
