import type pg from "pg";

// One client for a whole tick phase. In a real tick each batch is its own transaction; in a dry run the
// whole tick runs inside one outer transaction that is always rolled back, so the same code nests its
// "transactions" as savepoints instead. Savepoint names are unique per nesting level.

export class TickTx {
  private depth = 0;

  constructor(
    readonly client: pg.PoolClient,
    /** true: everything runs inside an outer transaction owned by the caller (dry run / replay) */
    readonly nested: boolean,
  ) {}

  async begin() {
    this.depth += 1;
    await this.client.query(this.nested || this.depth > 1 ? `SAVEPOINT tx_${this.depth}` : "BEGIN");
  }

  async commit() {
    await this.client.query(this.nested || this.depth > 1 ? `RELEASE SAVEPOINT tx_${this.depth}` : "COMMIT");
    this.depth -= 1;
  }

  async rollback() {
    await this.client.query(this.nested || this.depth > 1 ? `ROLLBACK TO SAVEPOINT tx_${this.depth}` : "ROLLBACK");
    if (this.nested || this.depth > 1) await this.client.query(`RELEASE SAVEPOINT tx_${this.depth}`);
    this.depth -= 1;
  }

  /** Runs fn inside begin/commit; rolls back and rethrows on failure. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.begin();
    try {
      const result = await fn();
      await this.commit();
      return result;
    } catch (err) {
      await this.rollback().catch(() => {});
      throw err;
    }
  }
}
