import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalRuntime } from "../../adapters/agent-runtime/local-process";
import { waitFor } from "../../adapters/agent-runtime/testing";
import type { AgentRuntime } from "../../adapters/agent-runtime/types";
import { getPool } from "../../db/pool";
import { enqueueEvents } from "../../tick/enqueue";
import { runTick } from "../../tick/run-tick";
import type { TickDeps } from "../../tick/run-tick";
import { startAgentApiServer } from "../../testing/agent-api-server";
import { isDue, pushTickOut, testDb } from "../../testing/db";
import { RecordingRuntime, testTickDeps } from "../../testing/tick-doubles";
import { addMembership, makeRig, makeTown, makeUser } from "../../../prisma/factories";
import { createCaller } from "../root";

// The mayor people talk to (SPEC.md §4.4b), end to end on a real Postgres: a person's message through the
// tRPC router, a tick that starts the mayor once through a real `local` runtime running the scripted test
// agent as mayor, the mayor's sling and reply through the real agent API, a later tick dispatching a
// polecat for the slung bead, and the mayor's exit sending it back to idle until the next message.

const db = testDb();
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
type User = Awaited<ReturnType<typeof makeUser>>;

let api: Awaited<ReturnType<typeof startAgentApiServer>>;
let workRoot: string;
let runtime: AgentRuntime;
let deps: TickDeps;
let owner: User;
let viewer: User;
let outsider: User;
let townId: string;
let rigId: string;

const callerAs = (u: User) => createCaller({ db, user: { id: u.id, email: u.email, name: u.name }, tickDeps: deps });
const mayorRow = () => db.agentMetadata.findFirstOrThrow({ where: { townId, role: "mayor" } });

beforeAll(async () => {
  // The operator's runtimes as the router reports them (read once, when the adapters are first built): a
  // default command, so the mayor's status says "starting" rather than "no runtime". The ticks below run
  // on this test's own local runtime.
  process.env.GASTOWN_AGENT_COMMANDS = "default=node scripts/test-agent.mjs";
  api = await startAgentApiServer();
  workRoot = mkdtempSync(join(tmpdir(), "gastown-mayor-"));
  const pool = getPool();
  runtime = createLocalRuntime({
    name: "test",
    argv: ["node", join(ROOT, "scripts/test-agent.mjs")],
    workRoot,
    baseEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stopGraceMs: 2000,
    // What the app's wiring does (server/tick/deps.ts): an exit becomes agent_completed for the town.
    onExit: (agentId, exit) =>
      enqueueEvents(pool, townId, [{ eventType: "agent_completed", agentId, payload: { status: exit.status, reason: exit.reason } }], new Date()),
  });
  deps = testTickDeps({ runtime, apiUrl: api.url });
  owner = await makeUser(db);
  viewer = await makeUser(db);
  outsider = await makeUser(db);
  const town = await makeTown(db, owner.id, { name: "Mayor Town" });
  townId = town.id;
  await addMembership(db, townId, viewer.id, "viewer");
  rigId = (await makeRig(db, townId, { name: "web" })).id;
  await db.townSettings.upsert({
    where: { townId },
    create: { townId, config: { env_vars: { TEST_AGENT_MAYOR_POLL_MS: "100", TEST_AGENT_MAYOR_IDLE_MS: "1500", TEST_AGENT_MODE: "hang" } } },
    update: { config: { env_vars: { TEST_AGENT_MAYOR_POLL_MS: "100", TEST_AGENT_MAYOR_IDLE_MS: "1500", TEST_AGENT_MODE: "hang" } } },
  });
});

afterAll(async () => {
  const agents = await db.agentMetadata.findMany({ where: { townId }, select: { beadId: true } });
  for (const a of agents) await runtime.stop(a.beadId, "test over");
  await api.close();
  rmSync(workRoot, { recursive: true, force: true });
});

describe("mayor router: who may talk to the mayor", () => {
  it("hides the town from a non-member and lets a viewer read but not write", async () => {
    await expect(callerAs(outsider).mayor.status({ townId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(callerAs(outsider).mayor.sendMessage({ townId, message: "hi" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(callerAs(viewer).mayor.sendMessage({ townId, message: "hi" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await callerAs(viewer).mayor.conversation({ townId })).items).toEqual([]);
    expect(await db.bead.count({ where: { townId, type: "message" } })).toBe(0);
  });

  it("refuses an empty message and a rig of another town", async () => {
    await expect(callerAs(owner).mayor.sendMessage({ townId, message: "   " })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const other = await makeTown(db, owner.id);
    const foreignRig = await makeRig(db, other.id);
    await expect(callerAs(owner).mayor.sendMessage({ townId, message: "x", rigId: foreignRig.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("a message runs the mayor", () => {
  it("message → one tick starts the mayor once → it slings and replies → a later tick dispatches a polecat", async () => {
    await pushTickOut(townId);
    await callerAs(owner).mayor.sendMessage({ townId, message: "add a health check endpoint" });
    expect(await isDue(townId)).toBe(true);
    const mail = await db.bead.findFirstOrThrow({ where: { townId, type: "message" } });
    expect(mail).toMatchObject({ status: "open", assigneeAgentBeadId: (await mayorRow()).beadId });
    expect((await callerAs(owner).mayor.status({ townId })).status).toBe("starting");

    const first = await runTick(deps, townId, { now: new Date() });
    expect(first?.actionsByType.start_mayor).toBe(1);
    expect((await mayorRow()).status).not.toBe("idle");
    // A second tick right away does not start it again: the mayor is working (then waiting).
    const second = await runTick(deps, townId, { now: new Date() });
    expect(second?.actionsByType.start_mayor ?? 0).toBe(0);

    // The scripted mayor reads its mail, slings one bead through the mayor-only gt_sling and replies.
    await waitFor(async () => (await db.mayorMessage.count({ where: { townId, kind: "mayor" } })) > 0, 20_000, "the mayor's reply");
    const { items } = await callerAs(viewer).mayor.conversation({ townId });
    expect(items.map((i) => i.kind)).toEqual(["person", "action", "mayor"]);
    const action = items[1];
    expect(action.text).toBe('Slung "add a health check endpoint" to rig web');
    expect(action.bead).toMatchObject({ type: "issue", title: "add a health check endpoint", rigId });
    expect(items[2].text).toContain("add a health check endpoint");
    await waitFor(async () => (await mayorRow()).status === "waiting", 10_000, "the mayor waiting in chat");
    expect((await db.bead.findUniqueOrThrow({ where: { id: mail.id } })).status).toBe("closed"); // read

    // The slung bead is dispatched to a polecat on a later tick (B1), like any open issue.
    const later = await runTick(deps, townId, { now: new Date() });
    expect(later?.actionsByType.dispatch_agent).toBe(1);
    const bead = await db.bead.findUniqueOrThrow({ where: { id: action.bead!.id } });
    expect(bead.status).toBe("in_progress");
    const polecat = await db.agentMetadata.findFirstOrThrow({ where: { townId, role: "polecat" } });
    expect(polecat.currentHookBeadId).toBe(bead.id);
  });

  it("a mayor that exits goes back to idle and starts again on the next message", async () => {
    // TEST_AGENT_MAYOR_IDLE_MS = 1.5 s: the mayor exits; the exit is agent_completed, applied by a tick.
    await waitFor(async () => (await db.townEvent.count({ where: { townId, eventType: "agent_completed", agentId: (await mayorRow()).beadId } })) > 0, 15_000, "the mayor's exit");
    await runTick(deps, townId, { now: new Date() });
    expect((await mayorRow()).status).toBe("idle");
    expect((await callerAs(owner).mayor.status({ townId })).status).toBe("idle");

    await callerAs(owner).mayor.sendMessage({ townId, message: "and a readiness probe", rigId });
    const tick = await runTick(deps, townId, { now: new Date() });
    expect(tick?.actionsByType.start_mayor).toBe(1);
    await waitFor(async () => (await db.mayorMessage.count({ where: { townId, kind: "mayor" } })) > 1, 20_000, "the second reply");
    expect(await db.bead.count({ where: { townId, type: "issue", title: "and a readiness probe", rigId } })).toBe(1);
  });
});

describe("a mayor that cannot start", () => {
  it("rolls back to idle with the reason, backs off, and a new message tries again", async () => {
    const failing = new RecordingRuntime();
    failing.onStart = () => ({ started: false, reason: "no such command" });
    const failDeps = testTickDeps({ runtime: failing });
    const town = await makeTown(db, owner.id);
    const caller = createCaller({ db, user: { id: owner.id, email: owner.email, name: owner.name }, tickDeps: failDeps });
    await caller.mayor.sendMessage({ townId: town.id, message: "hello" });
    const t0 = new Date();
    expect((await runTick(failDeps, town.id, { now: t0 }))?.actionsByType.start_mayor).toBe(1);
    expect(failing.starts[0]).toMatchObject({ role: "mayor", beadId: null, rigId: null, gitUrl: null });
    expect(failing.starts[0].prompt).toContain("You are the mayor");
    // The tick after applies dispatch_failed: idle again, with the reason people see, and no restart yet.
    const t1 = new Date(t0.getTime() + 1000);
    expect((await runTick(failDeps, town.id, { now: t1 }))?.actionsByType.start_mayor ?? 0).toBe(0);
    const mayor = await db.agentMetadata.findFirstOrThrow({ where: { townId: town.id, role: "mayor" } });
    expect(mayor).toMatchObject({ status: "idle", dispatchAttempts: 1 });
    const status = await caller.mayor.status({ townId: town.id });
    expect(status.note).toBe("Could not start: no such command");
    expect(status.startAttempts).toBe(1);
    // Past the 2 min backoff it tries again.
    expect((await runTick(failDeps, town.id, { now: new Date(t0.getTime() + 3 * 60_000) }))?.actionsByType.start_mayor).toBe(1);
  });
});

describe("the conversation and the status, as read", () => {
  it("pages the conversation newest-first by cursor, each line with its bead as it is now", async () => {
    const t = (await callerAs(owner).town.create({ name: "Paged" })).id;
    const bead = await db.bead.create({ data: { townId: t, type: "issue", status: "open", title: "first title" } });
    for (let i = 1; i <= 5; i++) {
      await db.mayorMessage.create({ data: { townId: t, kind: i % 2 ? "person" : "mayor", text: `line ${i}`, authorName: i % 2 ? "Ann" : null, beadId: i === 2 ? bead.id : null } });
    }
    await db.bead.update({ where: { id: bead.id }, data: { title: "renamed", status: "in_progress" } });
    const first = await callerAs(viewer).mayor.conversation({ townId: t, limit: 2 }).catch((e) => e);
    expect(first).toMatchObject({ code: "NOT_FOUND" }); // the viewer is not in this town
    const page1 = await callerAs(owner).mayor.conversation({ townId: t, limit: 2 });
    expect(page1.items.map((i) => i.text)).toEqual(["line 4", "line 5"]);
    expect(page1.items[1]).toMatchObject({ kind: "person", authorName: "Ann", bead: null });
    const page2 = await callerAs(owner).mayor.conversation({ townId: t, limit: 2, cursor: page1.nextCursor });
    expect(page2.items.map((i) => i.text)).toEqual(["line 2", "line 3"]);
    expect(page2.items[0].bead).toEqual({ id: bead.id, title: "renamed", type: "issue", status: "in_progress", rigId: null });
    const page3 = await callerAs(owner).mayor.conversation({ townId: t, limit: 2, cursor: page2.nextCursor });
    expect(page3).toMatchObject({ items: [expect.objectContaining({ text: "line 1" })], nextCursor: null });
  });

  it("counts only the mayor's open mail, and names the runtime the town chose", async () => {
    const t = (await callerAs(owner).town.create({ name: "Status" })).id;
    const before = await callerAs(owner).mayor.status({ townId: t });
    expect(before).toMatchObject({ status: "idle", unreadMail: 0 });
    await callerAs(owner).mayor.sendMessage({ townId: t, message: "hello" });
    await callerAs(owner).mayor.sendMessage({ townId: t, message: "again" });
    const mail = await db.bead.findMany({ where: { townId: t, type: "message" } });
    await db.bead.update({ where: { id: mail[0].id }, data: { status: "closed" } });
    await db.bead.create({ data: { townId: t, type: "message", status: "open", title: "to somebody else" } });
    await db.townSettings.upsert({ where: { townId: t }, create: { townId: t, config: { agent_runtime: "default" } }, update: { config: { agent_runtime: "default" } } });
    const after = await callerAs(owner).mayor.status({ townId: t });
    expect(after.unreadMail).toBe(1);
    expect(after.runtime).toMatchObject({ configured: true });
    expect(after.status).toBe("starting");
  });
});
