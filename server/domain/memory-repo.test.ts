import { defineTownRepoContract } from "../testing/town-repo-contract";
import { MemoryTownRepo } from "./memory-repo";

// The TownRepo contract (server/testing/town-repo-contract.ts) on the in-memory repo; the same cases run on
// PgTownRepo and BatchTownRepo in server/tick/town-repo-contract.integration.test.ts.

defineTownRepoContract("MemoryTownRepo", async (world) => {
  const repo = new MemoryTownRepo(world);
  return {
    repo,
    async stored() {
      const snap = repo.snapshot();
      return {
        beadEvents: structuredClone(repo.beadEvents),
        nudges: snap.nudges.map(({ id: _id, townId: _t, ...n }) => n),
        notifications: repo.notifications.map(({ id: _id, ...n }) => n),
        dependencies: snap.dependencies.map(({ townId: _t, ...d }) => d),
      };
    },
  };
});
