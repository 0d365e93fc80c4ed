import { describe, expect, it } from "vitest";
import { changeBeadStatus } from "../agent-api/store";
import { inTransaction } from "../db/tx";
import { setBeadStatus } from "../domain/operations";
import { prismaTownRepo } from "../tick/pg-repo";
import { testDb } from "../testing/db";
import { changeStatusByPerson } from "./people-writes";
import { makeBead, makeTown, makeUser } from "../../prisma/factories";

// Convoy progress has one definition (SPEC.md §3 #8): tracked `issue` beads only, closed = closed + failed,
// and 0 of 0 once no tracked issue is left — whichever path changed the bead's status (a person, an agent
// tool, the tick). The agent API's old INNER JOIN copy left the stored count stale in the last case.

const now = new Date("2026-01-01T00:00:00Z");

type Path = "person" | "agent" | "tick";

async function setup(trackedIssueStatuses: string[]) {
  const db = testDb();
  const user = await makeUser(db);
  const town = await makeTown(db, user.id);
  const convoy = await makeBead(db, town.id, { type: "convoy" });
  // a stale stored count, so the test sees whether the recount ran and what it wrote
  await db.convoyMetadata.create({ data: { beadId: convoy.id, townId: town.id, totalBeads: 7, closedBeads: 3 } });
  for (const status of trackedIssueStatuses) {
    const issue = await makeBead(db, town.id, { type: "issue", status: status as never });
    await db.beadDependency.create({ data: { townId: town.id, beadId: issue.id, dependsOnBeadId: convoy.id, dependencyType: "tracks", createdAt: now } });
  }
  // a tracked bead that is not an issue (a landing MR tracks its convoy): it never counts
  const mr = await makeBead(db, town.id, { type: "merge_request", status: "in_progress" });
  await db.beadDependency.create({ data: { townId: town.id, beadId: mr.id, dependsOnBeadId: convoy.id, dependencyType: "tracks", createdAt: now } });
  return { db, user, town, convoy, mr };
}

async function closeBy(path: Path, s: Awaited<ReturnType<typeof setup>>) {
  await inTransaction(s.db, async (tx) => {
    if (path === "person") return changeStatusByPerson(tx, s.town.id, s.user.id, s.mr, "closed", now, { reason: "test" });
    if (path === "agent") return changeBeadStatus(tx, s.town.id, s.mr, "closed", now, { agentId: null, reason: "test", actor: "test" });
    const repo = prismaTownRepo(tx, s.town.id);
    return setBeadStatus(repo, (await repo.getBead(s.mr.id))!, "closed", now, { reason: "test" });
  });
}

describe("convoy progress after a status change (one definition on every path)", () => {
  for (const path of ["person", "agent", "tick"] as const) {
    it(`${path}: counts tracked issues only, closed + failed`, async () => {
      const s = await setup(["closed", "failed", "open"]);
      await closeBy(path, s);
      const cm = await s.db.convoyMetadata.findUniqueOrThrow({ where: { beadId: s.convoy.id } });
      expect({ total: cm.totalBeads, closed: cm.closedBeads }).toEqual({ total: 3, closed: 2 });
    });

    it(`${path}: 0 of 0 when no tracked issue is left (no stale count)`, async () => {
      const s = await setup([]);
      await closeBy(path, s);
      const cm = await s.db.convoyMetadata.findUniqueOrThrow({ where: { beadId: s.convoy.id } });
      expect({ total: cm.totalBeads, closed: cm.closedBeads }).toEqual({ total: 0, closed: 0 });
    });
  }
});
