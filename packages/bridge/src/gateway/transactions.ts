/**
 * The gateway's open transactions, by upstream session (the principal-namespaced lsid):
 * whose it is, its txnNumber, the primary it is pinned to, and the client channels that
 * carried its commands. State only, no I/O: the service (service.ts) owns the effects
 * (sending the statements, aborting the orphans this table names).
 */

export interface OpenTransaction {
  /** The upstream session: the mapped lsid's UUID as hex. */
  readonly session: string;
  /** The mapped lsid sent upstream. */
  readonly lsid: Readonly<Record<string, unknown>>;
  /** The caller's key (issuer + subject). */
  readonly caller: string;
  /** The caller's subject (for the log line of an abort). */
  readonly subject: string;
  /** The txnNumber as a decimal string. */
  readonly txnNumber: string;
  /** The txnNumber as the client sent it (sent back upstream with the same BSON type). */
  readonly txnNumberValue: unknown;
  /** "host:port" of the primary the first statement ran on: every later command goes there. */
  readonly address: string;
  /** connectionIds of the gateway channels that carried the transaction's commands. */
  readonly channels: Set<number>;
  lastUsed: number;
}

/** An entry not used for this long is forgotten (mongod's transactionLifetimeLimitSeconds default is 60). */
export const TRANSACTION_IDLE_MS = 2 * 60_000;

export class TransactionTable {
  readonly #open = new Map<string, OpenTransaction>();

  get size(): number {
    return this.#open.size;
  }

  /** The open transaction of this upstream session with this txnNumber, if any. */
  get(session: string, txnNumber: string): OpenTransaction | undefined {
    const t = this.#open.get(session);
    return t && t.txnNumber === txnNumber ? t : undefined;
  }

  /** A transaction whose first statement succeeded (a higher txnNumber on the same session replaces the old one, as on mongod). */
  started(t: Omit<OpenTransaction, 'channels' | 'lastUsed'>, channel: number, now: number): void {
    this.#open.set(t.session, { ...t, channels: new Set([channel]), lastUsed: now });
  }

  /** A later command of the transaction arrived on `channel`. */
  touched(t: OpenTransaction, channel: number, now: number): void {
    t.channels.add(channel);
    t.lastUsed = now;
  }

  /** Committed, aborted, ended or killed: no longer open. */
  ended(session: string): void {
    this.#open.delete(session);
  }

  /**
   * The caller's open transactions (idle entries forgotten on the way), leaving out the
   * session `except` (a new transaction on a session replaces the one open there).
   */
  openOf(caller: string, now: number, except?: string): number {
    let n = 0;
    for (const [k, t] of this.#open) {
      if (now - t.lastUsed > TRANSACTION_IDLE_MS) this.#open.delete(k);
      else if (t.caller === caller && k !== except) n += 1;
    }
    return n;
  }

  /**
   * A channel closed: it leaves every transaction it carried. The transactions left with
   * no open channel are returned (and forgotten): their client is gone, the caller aborts them.
   */
  channelClosed(channel: number): OpenTransaction[] {
    const orphans: OpenTransaction[] = [];
    for (const [k, t] of this.#open) {
      if (!t.channels.delete(channel) || t.channels.size > 0) continue;
      this.#open.delete(k);
      orphans.push(t);
    }
    return orphans;
  }

  /** Everything still open (the service aborts them when it closes). */
  drain(): OpenTransaction[] {
    const all = [...this.#open.values()];
    this.#open.clear();
    return all;
  }
}
