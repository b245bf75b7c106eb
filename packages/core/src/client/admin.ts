/** Admin: commands on the `admin` database. */
import type { Document } from '../errors.js';
import type { Db, RunCommandOptions } from './db.js';
import type { CommandOperationOptions } from './collection.js';
import { copyDefined, runCommand, type ClientContext } from './operation.js';
import type { ClientSession } from './sessions.js';

export interface ListDatabasesOptions {
  nameOnly?: boolean;
  filter?: Document;
  authorizedDatabases?: boolean;
  session?: ClientSession;
  comment?: unknown;
}

export interface ListDatabasesResult {
  databases: Array<{ name: string; sizeOnDisk?: number; empty?: boolean; [key: string]: unknown }>;
  totalSize?: number;
  totalSizeMb?: number;
  ok: 1 | 0;
  [key: string]: unknown;
}

export class Admin {
  readonly #db: Db;
  readonly #ctx: ClientContext;

  /** `adminDb` is the `admin` database (Db.admin() makes it). */
  constructor(adminDb: Db, ctx: ClientContext) {
    this.#db = adminDb;
    this.#ctx = ctx;
  }

  /** Run a command on the admin database (primary unless a read preference is given). */
  async command(command: Document, options: RunCommandOptions = {}): Promise<Document> {
    return await this.#db.command(command, options);
  }

  /** Drop user `username` of the admin database (`dropUser`); resolves with true. */
  async removeUser(username: string, options: CommandOperationOptions = {}): Promise<boolean> {
    return await this.#db.removeUser(username, options);
  }

  async ping(options: RunCommandOptions = {}): Promise<Document> {
    return await this.command({ ping: 1 }, options);
  }

  async buildInfo(options: RunCommandOptions = {}): Promise<Document> {
    return await this.command({ buildinfo: 1 }, options);
  }

  async serverInfo(options: RunCommandOptions = {}): Promise<Document> {
    return await this.buildInfo(options);
  }

  async serverStatus(options: RunCommandOptions = {}): Promise<Document> {
    return await this.command({ serverStatus: 1 }, options);
  }

  async replSetGetStatus(options: RunCommandOptions = {}): Promise<Document> {
    return await this.command({ replSetGetStatus: 1 }, options);
  }

  async listDatabases(options: ListDatabasesOptions = {}): Promise<ListDatabasesResult> {
    const cmd = copyDefined({ listDatabases: 1 }, options, ['nameOnly', 'filter', 'authorizedDatabases', 'comment']);
    // listDatabases is a retryable read (Retryable Reads spec), unlike a generic command.
    const reply = await runCommand(this.#ctx, 'admin', cmd, options, { readPreference: this.#db.readPreference, retryable: 'read' });
    return reply as ListDatabasesResult;
  }
}
