import { describe, expect, it } from "vitest";
import { testDb } from "../testing/db";
import { makeBead } from "../../prisma/factories";
import { handleAgentRequest } from "./handler";
import { callAgentApi, seedPolecatTown, statusEventsOf } from "./testing";
import type { FeatureBranchCreator } from "./tools/define";

// The mayor's tools of the agent API (SPEC.md §4.3) through the real route handler on a real Postgres: the
// happy path and the main refusal of each. The other tools and the request pipeline are in
// agent-api.integration.test.ts.

const db = testDb();

const polecatTown = (over: Parameters<typeof seedPolecatTown>[1] = {}) => seedPolecatTown(db, over);
const statusEvents = (beadId: string) => statusEventsOf(db, beadId);

describe("mayor: gt_sling, gt_list_beads, gt_bead_update", () => {
  it("gt_sling creates an open issue with labels and metadata and records bead_created", async () => {
    const { town, rig, mayor, mayorToken } = await polecatTown();
    const res = await callAgentApi("gt_sling", mayorToken, {
      rig_id: rig.id, title: "Fix PR 12", body: "CI fails", labels: ["gt:pr-fixup"], metadata: { pr_url: "https://github.com/o/r/pull/12", branch: "f", target_branch: "main" },
    });
    expect(res.status).toBe(201);
    const bead = await db.bead.findUniqueOrThrow({ where: { id: res.json.bead_id } });
    expect(bead).toMatchObject({
      townId: town.id, type: "issue", status: "open", rigId: rig.id, title: "Fix PR 12", labels: ["gt:pr-fixup"], createdBy: mayor.id, assigneeAgentBeadId: null,
      metadata: { pr_url: "https://github.com/o/r/pull/12", branch: "f", target_branch: "main", slung_by: mayor.id },
    });
    const event = await db.townEvent.findFirstOrThrow({ where: { beadId: bead.id, eventType: "bead_created" } });
    expect(event.payload).toEqual({ bead_type: "issue", rig_id: rig.id, has_blockers: false });
    expect(await db.beadEvent.count({ where: { beadId: bead.id, eventType: "created" } })).toBe(1);
    expect((await callAgentApi("gt_sling", mayorToken, { rig_id: "nope", title: "x" })).status).toBe(404);
    expect((await callAgentApi("gt_sling", mayorToken, { rig_id: rig.id, title: "x", labels: ["has space"] })).status).toBe(400);
  });

  it("gt_list_beads filters by rig, status and type, newest first, bounded", async () => {
    const { town, rig, mayorToken } = await polecatTown();
    const a = await makeBead(db, town.id, { rigId: rig.id, createdAt: new Date(Date.now() - 3000) });
    const b = await makeBead(db, town.id, { rigId: rig.id, status: "in_progress", createdAt: new Date(Date.now() - 2000) });
    const mr = await makeBead(db, town.id, { rigId: rig.id, type: "merge_request", createdAt: new Date(Date.now() - 1000) });
    await makeBead(db, town.id, { rigId: null, type: "message" });
    const all = await callAgentApi("gt_list_beads", mayorToken, {});
    expect(all.json.beads.map((x: { id: string }) => x.id)).toEqual([mr.id, b.id, a.id]);
    expect(all.json.truncated).toBe(false);
    expect((await callAgentApi("gt_list_beads", mayorToken, { status: "open", type: "issue" })).json.beads.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect((await callAgentApi("gt_list_beads", mayorToken, { rig_id: rig.id, limit: 1 })).json).toMatchObject({ beads: [{ id: mr.id }], truncated: true });
    expect((await callAgentApi("gt_list_beads", mayorToken, { type: "message" })).json.beads).toHaveLength(1);
    expect((await callAgentApi("gt_list_beads", mayorToken, { limit: 500 })).status).toBe(400);
  });

  it("gt_bead_update edits fields, and a cancel writes bead_cancelled before the status; terminal → 409", async () => {
    const { town, rig, mayor, mayorToken } = await polecatTown();
    const bead = await makeBead(db, town.id, { rigId: rig.id, status: "in_progress" });
    const edited = await callAgentApi("gt_bead_update", mayorToken, { bead_id: bead.id, title: "Better title", labels: ["a", "b"], priority: "high" });
    expect(edited.status).toBe(200);
    expect(edited.json.bead).toMatchObject({ title: "Better title", labels: ["a", "b"], priority: "high", status: "in_progress" });
    expect(await db.beadEvent.findFirst({ where: { beadId: bead.id, eventType: "fields_updated" } })).toMatchObject({ agentId: mayor.id });

    const cancelled = await callAgentApi("gt_bead_update", mayorToken, { bead_id: bead.id, status: "failed", reason: "not needed" });
    expect(cancelled.status).toBe(200);
    const row = await db.bead.findUniqueOrThrow({ where: { id: bead.id } });
    expect(row.status).toBe("failed");
    expect(row.metadata).toMatchObject({ failureReason: "cancelled", failureMessage: "not needed" });
    const event = await db.townEvent.findFirstOrThrow({ where: { beadId: bead.id, eventType: "bead_cancelled" } });
    expect(event).toMatchObject({ agentId: mayor.id, payload: { cancel_status: "failed", reason: "not needed", actor: "mayor" } });
    expect((await statusEvents(bead.id)).map((e) => [e.oldValue, e.newValue])).toEqual([["in_progress", "failed"]]);
    expect(event.createdAt.getTime()).toBeLessThanOrEqual((await statusEvents(bead.id))[0].createdAt.getTime());

    const again = await callAgentApi("gt_bead_update", mayorToken, { bead_id: bead.id, title: "x" });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("conflict");
    expect((await callAgentApi("gt_bead_update", mayorToken, { bead_id: bead.id })).status).toBe(400);
    expect((await callAgentApi("gt_bead_update", mayorToken, { bead_id: "nope", title: "x" })).status).toBe(404);
  });

  it("gt_bead_update to a non-terminal status writes only the status change", async () => {
    const { town, rig, mayorToken } = await polecatTown();
    const bead = await makeBead(db, town.id, { rigId: rig.id, status: "in_progress" });
    expect((await callAgentApi("gt_bead_update", mayorToken, { bead_id: bead.id, status: "open" })).status).toBe(200);
    expect(await db.townEvent.count({ where: { beadId: bead.id, eventType: "bead_cancelled" } })).toBe(0);
    expect((await statusEvents(bead.id)).map((e) => [e.oldValue, e.newValue])).toEqual([["in_progress", "open"]]);
  });
});

describe("mayor: convoys", () => {
  function fakeGitHub() {
    const calls: Parameters<FeatureBranchCreator["createBranch"]>[0][] = [];
    const github: FeatureBranchCreator = {
      async createBranch(input) {
        calls.push(input);
        return { ok: true, created: true };
      },
    };
    return { github, calls };
  }

  async function slingBatch(token: string, body: unknown, github?: FeatureBranchCreator) {
    const req = new Request("http://localhost/api/agent/gt_sling_batch", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const res = await handleAgentRequest(req, "gt_sling_batch", { db, now: new Date(), github });
    return { status: res.status, json: await res.json() };
  }

  it("gt_sling_batch creates the convoy, its tasks, tracks and blocks edges, events, and the feature branch", async () => {
    const { town, rig, mayor, mayorToken } = await polecatTown();
    await db.townSettings.update({ where: { townId: town.id }, data: { config: { git_auth: { github_token: "town-secret-token" } } } });
    const { github, calls } = fakeGitHub();
    const res = await slingBatch(
      mayorToken,
      {
        rig_id: rig.id, convoy_title: "Search: index + API + UI",
        tasks: [{ title: "Index" }, { title: "API", depends_on: [0] }, { title: "UI", body: "React", depends_on: [1, 0] }],
        metadata: { epic: "search" },
      },
      github,
    );
    expect(res.status).toBe(201);
    const convoyId = res.json.convoy_id;
    const branch = `convoy/search-index-api-ui/${convoyId.slice(0, 8)}/head`;
    expect(res.json).toMatchObject({ feature_branch: branch, feature_branch_on_github: "created", merge_mode: "review-then-land", staged: false, total_beads: 3 });
    expect(JSON.stringify(res.json)).not.toContain("town-secret-token");
    expect(calls).toEqual([{ town: { id: town.id, ownerEmail: expect.any(String) }, townToken: "town-secret-token", repoUrl: rig.gitUrl, branch, fromBranch: "main" }]);

    const convoy = await db.bead.findUniqueOrThrow({ where: { id: convoyId }, include: { convoy: true } });
    expect(convoy).toMatchObject({
      type: "convoy", status: "open", rigId: null, labels: ["gt:convoy"], createdBy: mayor.id, metadata: { epic: "search", feature_branch: branch },
      convoy: { totalBeads: 3, closedBeads: 0, featureBranch: branch, mergeMode: "review-then-land", staged: false },
    });
    const ids: string[] = res.json.tasks.map((t: { bead_id: string }) => t.bead_id);
    const tasks = await db.bead.findMany({ where: { id: { in: ids } } });
    for (const t of tasks) expect(t).toMatchObject({ type: "issue", status: "open", rigId: rig.id, metadata: { convoy_id: convoyId, feature_branch: branch, epic: "search" } });
    const deps = await db.beadDependency.findMany({ where: { townId: town.id } });
    const edge = (from: string, to: string) => deps.find((d) => d.beadId === from && d.dependsOnBeadId === to)?.dependencyType;
    for (const id of ids) expect(edge(id, convoyId)).toBe("tracks");
    expect(edge(ids[1], ids[0])).toBe("blocks");
    expect(edge(ids[2], ids[1])).toBe("blocks");
    expect(edge(ids[2], ids[0])).toBe("blocks");
    expect(deps).toHaveLength(6);
    const created = await db.townEvent.findMany({ where: { townId: town.id, eventType: "bead_created" }, orderBy: { seq: "asc" } });
    expect(created.map((e) => e.beadId)).toEqual([convoyId, ...ids]);
    expect(created[1].payload).toEqual({ bead_type: "issue", rig_id: rig.id, convoy_id: convoyId, has_blockers: false });
    expect(created[2].payload).toMatchObject({ has_blockers: true });
  });

  it("takes merge mode and staging from the town settings when the call does not say", async () => {
    const { town, rig, mayorToken } = await polecatTown();
    await db.townSettings.update({ where: { townId: town.id }, data: { config: { convoy_merge_mode: "review-and-merge", staged_convoys_default: true } } });
    const res = await slingBatch(mayorToken, { rig_id: rig.id, convoy_title: "Two", tasks: [{ title: "a" }, { title: "b" }], parallel: true });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ merge_mode: "review-and-merge", staged: true, feature_branch_on_github: "skipped" });
    const explicit = await slingBatch(mayorToken, { rig_id: rig.id, convoy_title: "Three", tasks: [{ title: "a" }], merge_mode: "review-then-land", staged: false });
    expect(explicit.json).toMatchObject({ merge_mode: "review-then-land", staged: false });
  });

  it("refuses a cycle, an out-of-range index, no dependencies without parallel, and no tasks — writing nothing", async () => {
    const { town, rig, mayorToken } = await polecatTown();
    const cycle = await slingBatch(mayorToken, { rig_id: rig.id, convoy_title: "C", tasks: [{ title: "a", depends_on: [2] }, { title: "b", depends_on: [0] }, { title: "c", depends_on: [1] }] });
    expect(cycle.status).toBe(400);
    expect(cycle.json.error.message).toMatch(/^Convoy dependency graph contains a cycle — 3 tasks/);
    const range = await slingBatch(mayorToken, { rig_id: rig.id, convoy_title: "C", tasks: [{ title: "a" }, { title: "b", depends_on: [5] }] });
    expect(range.status).toBe(400);
    expect(range.json.error.issues[0].path).toEqual(["tasks", 1, "depends_on", 0]);
    const self = await slingBatch(mayorToken, { rig_id: rig.id, convoy_title: "C", tasks: [{ title: "a", depends_on: [0] }, { title: "b" }] });
    expect(self.status).toBe(400);
    const flat = await slingBatch(mayorToken, { rig_id: rig.id, convoy_title: "C", tasks: [{ title: "a" }, { title: "b" }] });
    expect(flat.status).toBe(400);
    expect(flat.json.error.message).toContain("parallel: true");
    expect((await slingBatch(mayorToken, { rig_id: rig.id, convoy_title: "C", tasks: [] })).status).toBe(400);
    expect(await db.bead.count({ where: { townId: town.id, type: { in: ["convoy", "issue"] } } })).toBe(0);
    expect(await db.townEvent.count({ where: { townId: town.id } })).toBe(0);
  });

  it("a failing GitHub branch creation never undoes the convoy", async () => {
    const { rig, mayorToken } = await polecatTown();
    const github: FeatureBranchCreator = { createBranch: async () => ({ ok: false, reason: "no GitHub token configured" }) };
    const res = await slingBatch(mayorToken, { rig_id: rig.id, convoy_title: "X", tasks: [{ title: "a" }] }, github);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ feature_branch_on_github: "failed", feature_branch_note: "no GitHub token configured" });
    expect(await db.bead.count({ where: { id: res.json.convoy_id } })).toBe(1);
  });

  it("gt_convoy_start clears staged and records convoy_started once", async () => {
    const { town, rig, mayorToken, token } = await polecatTown();
    const sling = await slingBatch(mayorToken, { rig_id: rig.id, convoy_title: "Staged", tasks: [{ title: "a" }], staged: true });
    const convoyId = sling.json.convoy_id;
    expect((await callAgentApi("gt_convoy_start", token, { convoy_id: convoyId })).status).toBe(403);
    const res = await callAgentApi("gt_convoy_start", mayorToken, { convoy_id: convoyId });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ started: true, was_staged: true });
    expect((await db.convoyMetadata.findUniqueOrThrow({ where: { beadId: convoyId } })).staged).toBe(false);
    const again = await callAgentApi("gt_convoy_start", mayorToken, { convoy_id: convoyId });
    expect(again.json.was_staged).toBe(false);
    const started = await db.townEvent.findMany({ where: { townId: town.id, eventType: "convoy_started" } });
    expect(started.map((e) => e.payload)).toEqual([{ convoy_id: convoyId }]);
    const issue = await makeBead(db, town.id, { rigId: rig.id });
    expect((await callAgentApi("gt_convoy_start", mayorToken, { convoy_id: issue.id })).status).toBe(404);
  });

  it("gt_convoy_close cancels every unfinished tracked bead (events first), then closes the convoy", async () => {
    const { town, rig, mayorToken } = await polecatTown();
    const sling = await slingBatch(mayorToken, { rig_id: rig.id, convoy_title: "Close me", tasks: [{ title: "a" }, { title: "b" }, { title: "c" }], parallel: true });
    const convoyId = sling.json.convoy_id;
    const [a, b, c]: string[] = sling.json.tasks.map((t: { bead_id: string }) => t.bead_id);
    await db.bead.update({ where: { id: a }, data: { status: "closed" } });
    await db.bead.update({ where: { id: b }, data: { status: "in_progress" } });

    const res = await callAgentApi("gt_convoy_close", mayorToken, { convoy_id: convoyId });
    expect(res.status).toBe(200);
    expect(res.json.cancelled_bead_ids.sort()).toEqual([b, c].sort());
    const cancels = await db.townEvent.findMany({ where: { townId: town.id, eventType: "bead_cancelled" } });
    expect(cancels.map((e) => e.beadId).sort()).toEqual([b, c].sort());
    expect(cancels[0].payload).toMatchObject({ cancel_status: "closed" });
    for (const id of [b, c]) {
      expect((await db.bead.findUniqueOrThrow({ where: { id } })).status).toBe("closed");
      expect((await statusEvents(id)).at(-1)).toMatchObject({ newValue: "closed" });
    }
    const convoy = await db.bead.findUniqueOrThrow({ where: { id: convoyId }, include: { convoy: true } });
    expect(convoy.status).toBe("closed");
    expect(convoy.convoy).toMatchObject({ totalBeads: 3, closedBeads: 3 });
    expect(convoy.convoy?.landedAt).not.toBeNull();
    expect((await statusEvents(convoyId)).map((e) => [e.oldValue, e.newValue])).toEqual([["open", "closed"]]);
    expect((await callAgentApi("gt_convoy_close", mayorToken, { convoy_id: convoyId })).status).toBe(409);
  });
});
