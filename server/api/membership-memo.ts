// A short memo of "what is this person's role in this town" for the read procedures (issue 15: many open
// dashboards). Every polled request of a town page checked membership with its own statement, a third to a half
// of the statements a poll costs. Reads may use an answer up to a few seconds old, the same window the
// session memo (server/auth/session-memo.ts) already allows for a signed-in session:
// - only members are remembered: somebody just added is never refused from memory;
// - mutations never use it (they always look again), so a demoted owner or a removed member cannot change
//   anything on a remembered answer;
// - any mutation of a town in this process forgets that town's answers at once; another instance's change of
//   membership reaches this one within the TTL. Until then a removed member can still read, as they could
//   a second before.

import type { MemoClock } from "../auth/session-memo";

export class MembershipMemo<T> {
  private readonly towns = new Map<string, Map<string, { value: Promise<T | undefined>; until: number }>>();
  private count = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: MemoClock = Date.now,
  ) {}

  /** The remembered membership of `userId` in `townId`, or `load()`'s. Concurrent callers share one load; a
   *  failed load and "not a member" are not remembered. */
  get(townId: string, userId: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const users = this.towns.get(townId);
    const hit = users?.get(userId);
    if (hit && hit.until > this.now()) return hit.value;
    const value = load();
    this.put(townId, userId, value);
    value.then(
      (v) => v === undefined && this.drop(townId, userId, value),
      () => this.drop(townId, userId, value),
    );
    return value;
  }

  /** Forgets every answer about `townId` (after a mutation of it in this process). */
  forgetTown(townId: string): void {
    const users = this.towns.get(townId);
    if (!users) return;
    this.count -= users.size;
    this.towns.delete(townId);
  }

  get size(): number {
    return this.count;
  }

  private put(townId: string, userId: string, value: Promise<T | undefined>): void {
    let users = this.towns.get(townId);
    if (!users) this.towns.set(townId, (users = new Map()));
    if (!users.has(userId)) this.count++;
    users.set(userId, { value, until: this.now() + this.ttlMs });
    // Oldest town first (a Map keeps insertion order): many towns and people cannot grow memory without bound.
    while (this.count > this.maxEntries) {
      const oldest = this.towns.keys().next().value;
      if (oldest === undefined || oldest === townId) break;
      this.forgetTown(oldest);
    }
  }

  private drop(townId: string, userId: string, value: Promise<T | undefined>): void {
    const users = this.towns.get(townId);
    if (users?.get(userId)?.value !== value) return; // replaced or forgotten meanwhile
    users.delete(userId);
    this.count--;
    if (users.size === 0) this.towns.delete(townId);
  }
}
