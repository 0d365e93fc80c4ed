import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAdapters, type Adapters } from "../adapters";
import { loadAdapterConfig } from "../adapters/config";
import { getPool } from "../db/pool";
import { getEnv } from "../env";
import { callerFor, testDb } from "../testing/db";
import { RecordingRuntime } from "../testing/tick-doubles";
import { makeAgent } from "../agent-api/testing";
import { addMembership, makeRig, makeTown, makeUser } from "../../prisma/factories";
import { createBead } from "../services/beads";
import { applyEvent } from "../domain/apply-event";
import { enqueueEvents } from "../tick/enqueue";
import { buildTickDeps, enqueueAgentExits } from "../tick/deps";
import { runTick, type TickDeps } from "../tick/run-tick";
import { REDACTED } from "./redact";
import { forgetTownSecrets } from "./town-secrets";
import { captureLogs } from "../testing/log-capture";

// SPEC.md §5 / issue 13 "Secrets never reach people or logs": each secret in play for a town is planted in
// each path where a text from outside is stored or shown, and found masked there — on Postgres, through the
// real tick, the real exit listener and the real `local` runtime.

const db = testDb();
// Shaped like nothing in particular: they are masked because the redactor knows them, not by their shape.
const TOWN_GIT_TOKEN = "town-git-token-Zx81Qp";
const TOWN_ENV_VALUE = "env-value-Kq72Lm";
const OPERATOR_GITHUB_TOKEN = "operator-gh-token-Rr19Vb";
const RUNTIME_SECRET = "runtime-secret-Hw55Tr";

async function townWithSecrets() {
  const user = await makeUser(db);
  const town = await makeTown(db, user.id);
  const rig = await makeRig(db, town.id);
  await db.townSettings.upsert({
    where: { townId: town.id },
    create: { townId: town.id, config: { git_auth: { github_token: TOWN_GIT_TOKEN }, env_vars: { DEPLOY_KEY: TOWN_ENV_VALUE, DEBUG: "1" } } },
    update: { config: { git_auth: { github_token: TOWN_GIT_TOKEN }, env_vars: { DEPLOY_KEY: TOWN_ENV_VALUE, DEBUG: "1" } } },
  });
  forgetTownSecrets(town.id);
  return { user, town, rig };
}

function operatorAppSecrets() {
  const env = getEnv();
  return [env.CRON_SECRET, env.BETTER_AUTH_SECRET, env.GASTOWN_TOKEN_KEY];
}

/** Everything the town's rows say, as one text (settings excluded: that is where the secrets live). */
async function townDump(townId: string): Promise<string> {
  const { rows } = await getPool().query(
    `SELECT (SELECT coalesce(json_agg(e), '[]') FROM town_events e WHERE e.town_id = $1)::text
         || (SELECT coalesce(json_agg(b), '[]') FROM beads b WHERE b.town_id = $1)::text
         || (SELECT coalesce(json_agg(t), '[]') FROM ticks t WHERE t.town_id = $1)::text
         || (SELECT coalesce(json_agg(n), '[]') FROM notifications n WHERE n.town_id = $1)::text
         || (SELECT coalesce(json_agg(x), '[]') FROM towns x WHERE x.id = $1)::text AS dump`,
    [townId],
  );
  return rows[0].dump as string;
}

function expectNone(text: string, secrets: string[]) {
  for (const s of secrets) expect(text, `a secret (${s.slice(0, 4)}…) leaked`).not.toContain(s);
}

describe("secrets are masked in everything stored or shown that came from outside", () => {
  let adapters: Adapters;
  let runtime: RecordingRuntime;
  let deps: TickDeps;

  beforeAll(() => {
    // The operator's GITHUB_TOKEN and an http runtime's secret are known through the adapters' configuration.
    adapters = createAdapters({
      config: loadAdapterConfig({ GITHUB_TOKEN: OPERATOR_GITHUB_TOKEN, GASTOWN_RUNTIMES: `box=http://127.0.0.1:9|${RUNTIME_SECRET}` }),
    });
    runtime = new RecordingRuntime();
    deps = { ...buildTickDeps({ adapters, pool: getPool(), apiUrl: "http://127.0.0.1:9", captureException: () => {} }), runtimeFor: () => runtime };
  });
  beforeEach(() => {
    runtime.starts = [];
    runtime.onStart = () => ({ started: true, pid: 4242, logPath: "/tmp/agent.log" });
  });

  it("a runtime refusal quoting the town's git token, env value and the agent's own token: dispatch_failed, last_dispatch_error and the tick record show [redacted]", async () => {
    const { user, town, rig } = await townWithSecrets();
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Leaky start", priority: "medium", labels: [] });
    let agentToken = "";
    runtime.onStart = (spec) => {
      agentToken = spec.agentToken;
      return { started: false, reason: `clone https://x:${spec.gitToken}@example.com failed; env DEPLOY_KEY=${spec.townEnv.DEPLOY_KEY}; auth ${spec.agentToken}` };
    };
    const t0 = new Date();
    await runTick(deps, town.id, { now: t0 });
    await runTick(deps, town.id, { now: new Date(t0.getTime() + 1000) });
    expect(agentToken.split(".")).toHaveLength(3);

    const failed = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "dispatch_failed" } });
    const reason = (failed.payload as { reason: string }).reason;
    expect(reason).toBe(`clone https://x:${REDACTED}@example.com failed; env DEPLOY_KEY=${REDACTED}; auth ${REDACTED}`);
    const after = await db.bead.findUniqueOrThrow({ where: { id: bead.id } });
    expect((after.metadata as { last_dispatch_error?: string }).last_dispatch_error).toBe(reason);
    const tick = await db.tick.findFirstOrThrow({ where: { townId: town.id, sideEffectsFailed: { gt: 0 } } });
    expect(JSON.stringify(tick.sideEffectOutcomes)).toContain(REDACTED);
    expectNone(await townDump(town.id), [TOWN_GIT_TOKEN, TOWN_ENV_VALUE, agentToken]);
  });

  it("a runtime that throws with the operator's secrets (GITHUB_TOKEN, runtime secret, CRON/auth/token keys): masked in dispatch_failed, the tick record and the log", async () => {
    const { user, town, rig } = await townWithSecrets();
    await createBead(db, town.id, user.id, { rigId: rig.id, title: "Throwing start", priority: "medium", labels: [] });
    const planted = [OPERATOR_GITHUB_TOKEN, RUNTIME_SECRET, ...operatorAppSecrets()];
    runtime.onStart = () => {
      throw new Error(`sidecar said: ${planted.join(" | ")}`);
    };
    // the tick's own logger (server/log.ts), writing to memory
    const logs = captureLogs();
    const t0 = new Date();
    await runTick({ ...deps, log: logs.log }, town.id, { now: t0 });
    await runTick({ ...deps, log: logs.log }, town.id, { now: new Date(t0.getTime() + 1000) });
    const logged = logs.lines;
    const failed = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "dispatch_failed" } });
    expect((failed.payload as { reason: string }).reason).toBe(`runtime error: sidecar said: ${planted.map(() => REDACTED).join(" | ")}`);
    expectNone(await townDump(town.id), planted);
    // the tick's error log line says what failed, with the secrets masked, and whose tick it was
    expect(logged.join("\n")).toContain("sidecar said");
    expectNone(logged.join("\n"), planted);
    const failure = logs.parsed().find((l) => l.level === "error");
    expect(failure).toMatchObject({ town_id: town.id, tick_id: expect.any(String), msg: "dispatch_agent side effect failed" });
  });

  it("an apply that fails quoting secrets: the event's last_error, the poison notification and the mayor's mail are masked", async () => {
    const { town } = await townWithSecrets();
    const agent = await makeAgent(db, town.id);
    await enqueueEvents(getPool(), town.id, [{ eventType: "agent_completed", agentId: agent.id, payload: { status: "completed", reason: "ok" } }], new Date());
    const failing: TickDeps = {
      ...deps,
      applyEvent: async (repo, event, now) => {
        if (event.eventType === "agent_completed") throw new Error(`upstream echoed ${TOWN_GIT_TOKEN} and ${TOWN_ENV_VALUE} and ${OPERATOR_GITHUB_TOKEN}`);
        return applyEvent(repo, event, now);
      },
    };
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await runTick(failing, town.id, { now: new Date(t0 + i * 1000) });
    const event = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "agent_completed" } });
    expect(event.poisonedAt).not.toBeNull();
    expect(event.lastError).toBe(`Error: upstream echoed ${REDACTED} and ${REDACTED} and ${REDACTED}`);
    const notification = await db.notification.findFirstOrThrow({ where: { townId: town.id, kind: "poisoned_event" } });
    expect(notification.message).toContain(REDACTED);
    expectNone(await townDump(town.id), [TOWN_GIT_TOKEN, TOWN_ENV_VALUE, OPERATOR_GITHUB_TOKEN]);
  });

  it("a local agent's exit reason (the exit listener's agent_completed) is masked", async () => {
    const { town } = await townWithSecrets();
    const agent = await makeAgent(db, town.id);
    let listener: ((agentId: string, exit: { status: "completed" | "failed"; reason: string; exitCode: number | null; signal: string | null }) => Promise<void> | void) | null = null;
    const fake = { config: adapters.config, setAgentExitListener: (l: typeof listener) => (listener = l) } as unknown as Adapters;
    enqueueAgentExits(fake, getPool());
    await listener!(agent.id, { status: "failed", reason: `crashed printing ${TOWN_ENV_VALUE} / ${RUNTIME_SECRET}`, exitCode: 1, signal: null });
    const event = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "agent_completed", agentId: agent.id } });
    expect((event.payload as { reason: string }).reason).toBe(`crashed printing ${REDACTED} / ${REDACTED}`);
  });
});

describe("agent.log masks what a real local agent printed", () => {
  let workRoot: string;
  let adapters: Adapters;
  let deps: TickDeps;

  beforeAll(() => {
    workRoot = mkdtempSync(path.join(tmpdir(), "gt-redact-"));
    const script = path.join(workRoot, "leaky-agent.mjs");
    writeFileSync(
      script,
      `const e = process.env;
console.log("env DEPLOY_KEY=" + e.DEPLOY_KEY);
console.log("my token " + e.GASTOWN_AGENT_TOKEN);
console.error("git token " + e.GASTOWN_GIT_TOKEN);
console.log("done");
`,
    );
    adapters = createAdapters({
      config: loadAdapterConfig({
        GASTOWN_AGENT_COMMANDS: `default=node ${script}`,
        GASTOWN_AGENT_WORK_ROOT: path.join(workRoot, "agents"),
        PATH: process.env.PATH,
        HOME: process.env.HOME,
      }),
    });
    deps = buildTickDeps({ adapters, pool: getPool(), apiUrl: "http://127.0.0.1:9", captureException: () => {} });
  });
  afterAll(() => rmSync(workRoot, { recursive: true, force: true }));

  it("its env var value, its own agent token and the git token are [redacted]", async () => {
    const { user, town, rig } = await townWithSecrets();
    const member = await makeUser(db);
    await addMembership(db, town.id, member.id, "member");
    await createBead(db, town.id, user.id, { rigId: rig.id, title: "Print secrets", priority: "medium", labels: [] });
    await runTick(deps, town.id, { now: new Date() });
    const polecat = await db.agentMetadata.findFirstOrThrow({ where: { townId: town.id, role: "polecat" } });
    const runtime = adapters.createRuntime(null);
    const deadline = Date.now() + 15_000;
    let raw = "";
    while (!raw.includes("done") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      raw = (await runtime.readLog(polecat.beadId, 64 * 1024)) ?? "";
    }
    // The file holds what the agent printed (it is the operator's disk); what people see is masked.
    expect(raw).toContain(TOWN_ENV_VALUE);
    const token = /my token (\S+)/.exec(raw)![1];
    expect(token.split(".")).toHaveLength(3);

    const { log } = await callerFor(member, { tickDeps: deps }).agent.log({ townId: town.id, agentId: polecat.beadId });
    expect(log).toContain(`env DEPLOY_KEY=${REDACTED}`);
    expect(log).toContain(`my token ${REDACTED}`);
    expect(log).toContain(`git token ${REDACTED}`);
    expectNone(log, [TOWN_ENV_VALUE, token, TOWN_GIT_TOKEN]);

    // A tail that starts inside the token shows none of it either.
    const cut = raw.indexOf(token) + 20;
    const small = await callerFor(member, { tickDeps: deps }).agent.log({ townId: town.id, agentId: polecat.beadId, maxBytes: Buffer.byteLength(raw) - cut });
    expect(small.log.startsWith(token.slice(20))).toBe(false);
    expectNone(small.log, [token.slice(20, 60)]);
  });
});
