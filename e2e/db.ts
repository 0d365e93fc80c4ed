import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { expect, type APIRequestContext, type Page } from "@playwright/test";

// Helpers for specs that need a town in a given state: rows written straight into the database the server
// uses (`DATABASE_URL`, set by scripts/with-db.mjs for the Playwright process too), tRPC calls made with the
// page's session cookie, and forced ticks through the cron route.

let pool: pg.Pool | null = null;
export function db(): pg.Pool {
  if (!process.env.DATABASE_URL) throw new Error("DATABASE_URL is not set: run the specs through scripts/with-db.mjs");
  pool ??= new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  return pool;
}

export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await db().query<T>(text, values)).rows;
}

function cronSecret(): string {
  if (process.env.CRON_SECRET) return process.env.CRON_SECRET;
  const dir = process.env.GASTOWN_DATA_DIR ?? path.resolve(".data");
  return JSON.parse(fs.readFileSync(path.join(dir, "secrets.json"), "utf8")).CRON_SECRET;
}

/** Ticks the town now through the cron route (as the scheduler would) and returns its summary. */
export async function forceTick(request: APIRequestContext, townId: string) {
  const res = await request.post(`/api/cron/tick?town=${encodeURIComponent(townId)}`, { headers: { Authorization: `Bearer ${cronSecret()}` } });
  expect(res.status(), await res.text()).toBe(200);
  const body = (await res.json()) as { ticks: { townId: string; eventsDrained: number; eventsPoisoned: number; actionsByType: Record<string, number> }[] };
  return body.ticks.find((t) => t.townId === townId) ?? null;
}

/** A tRPC mutation with the page's session (superjson wire format). */
export async function trpcMutation<T = unknown>(page: Page, procedure: string, input: unknown): Promise<T> {
  const res = await page.request.post(`/api/trpc/${procedure}`, { data: { json: input } });
  const body = await res.json();
  expect(res.ok(), JSON.stringify(body)).toBe(true);
  return body.result.data.json as T;
}

export function townIdOf(page: Page): string {
  const m = /\/towns\/([^/?#]+)/.exec(page.url());
  if (!m) throw new Error(`not on a town page: ${page.url()}`);
  return m[1];
}

/** Creates a town through the UI (the person is signed in) and a rig through tRPC; returns their ids. */
export async function createTownWithRig(page: Page, townName: string, rigName = "web") {
  await page.goto("/towns");
  await page.getByLabel("Town name").fill(townName);
  await page.getByRole("button", { name: "Create town" }).click();
  await expect(page.getByTestId("town-name")).toHaveText(townName);
  const townId = townIdOf(page);
  const rig = await trpcMutation<{ id: string }>(page, "rig.create", { townId, name: rigName, gitUrl: `https://github.com/acme/${rigName}` });
  return { townId, rigId: rig.id };
}

export async function seedBead(
  townId: string,
  b: { rigId?: string | null; type?: string; status?: string; title: string; labels?: string[]; metadata?: Record<string, unknown>; dispatchAttempts?: number; lastDispatchAttemptAt?: Date | null; createdAt?: Date },
): Promise<string> {
  const id = randomUUID();
  await sql(
    `INSERT INTO beads (bead_id, town_id, type, status, title, rig_id, labels, metadata, dispatch_attempts, last_dispatch_attempt_at, created_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, 'e2e', $11, $11)`,
    [id, townId, b.type ?? "issue", b.status ?? "open", b.title, b.rigId ?? null, JSON.stringify(b.labels ?? []), JSON.stringify(b.metadata ?? {}), b.dispatchAttempts ?? 0, b.lastDispatchAttemptAt ?? null, b.createdAt ?? new Date()],
  );
  return id;
}

export async function seedDependency(townId: string, beadId: string, dependsOnBeadId: string, type: "blocks" | "tracks" = "blocks") {
  await sql(`INSERT INTO bead_dependencies (town_id, bead_id, depends_on_bead_id, dependency_type) VALUES ($1, $2, $3, $4)`, [townId, beadId, dependsOnBeadId, type]);
}

/** A merge request bead with its review_metadata (and optionally a PR, an auto-merge timer, pending merge). */
export async function seedMr(
  townId: string,
  rigId: string,
  mr: { title: string; status?: string; prUrl?: string | null; readySince?: Date | null; metadata?: Record<string, unknown>; labels?: string[]; createdAt?: Date },
): Promise<string> {
  const metadata = { ...(mr.prUrl ? { pr_url: mr.prUrl } : {}), ...(mr.metadata ?? {}) };
  const id = await seedBead(townId, { rigId, type: "merge_request", status: mr.status ?? "open", title: mr.title, labels: ["gt:merge-request", ...(mr.labels ?? [])], metadata, createdAt: mr.createdAt });
  await sql(
    `INSERT INTO review_metadata (bead_id, town_id, branch, target_branch, pr_url, auto_merge_ready_since) VALUES ($1, $2, $3, 'main', $4, $5)`,
    [id, townId, `gt/polecat/${id.slice(0, 8)}`, mr.prUrl ?? null, mr.readySince ?? null],
  );
  return id;
}

export async function seedEvent(townId: string, e: { type: string; agentId?: string | null; beadId?: string | null; payload: unknown }): Promise<string> {
  const id = randomUUID();
  await sql(`INSERT INTO town_events (event_id, town_id, event_type, agent_id, bead_id, payload) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`, [
    id,
    townId,
    e.type,
    e.agentId ?? null,
    e.beadId ?? null,
    JSON.stringify(e.payload),
  ]);
  return id;
}

export async function seedAgent(townId: string, a: { rigId: string | null; name: string; role: "polecat" | "refinery"; status?: string; hookBeadId?: string | null; lastActivityAt?: Date | null; dispatchAttempts?: number }) {
  const id = await seedBead(townId, { rigId: a.rigId, type: "agent", status: "open", title: a.name });
  await sql(
    `INSERT INTO agent_metadata (bead_id, town_id, role, identity, status, current_hook_bead_id, last_activity_at, dispatch_attempts, dispatched_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)`,
    [id, townId, a.role, `${a.role}-${a.name}-${id.slice(0, 8)}`, a.status ?? "idle", a.hookBeadId ?? null, a.lastActivityAt ?? null, a.dispatchAttempts ?? 0],
  );
  if (a.hookBeadId) await sql(`UPDATE beads SET assignee_agent_bead_id = $2 WHERE bead_id = $1`, [a.hookBeadId, id]);
  return id;
}

export async function seedEscalation(townId: string, e: { title: string; severity: "low" | "medium" | "high" | "critical"; rigId?: string | null; body?: string }) {
  const id = await seedBead(townId, { rigId: e.rigId ?? null, type: "escalation", title: e.title, labels: ["gt:escalation", `severity:${e.severity}`] });
  await sql(`UPDATE beads SET body = $2, priority = $3 WHERE bead_id = $1`, [id, e.body ?? null, e.severity]);
  await sql(`INSERT INTO escalation_metadata (bead_id, town_id, severity, category) VALUES ($1, $2, $3, 'stuck_agent')`, [id, townId, e.severity]);
  return id;
}

export async function setTownConfig(townId: string, config: Record<string, unknown>) {
  await sql(
    `INSERT INTO town_settings (town_id, config) VALUES ($1, $2::jsonb)
     ON CONFLICT (town_id) DO UPDATE SET config = town_settings.config || EXCLUDED.config, version = town_settings.version + 1`,
    [townId, JSON.stringify(config)],
  );
}

export async function beadRow(id: string) {
  const [row] = await sql<{ status: string; labels: string[]; metadata: Record<string, unknown> }>(`SELECT status, labels, metadata FROM beads WHERE bead_id = $1`, [id]);
  return row;
}

/** Screenshots of the page at the desktop size (1280×800) and the phone size (390×844). */
export async function snapBoth(page: Page, name: string, snap: (page: Page, name: string) => Promise<void>) {
  await page.setViewportSize({ width: 1280, height: 800 });
  await snap(page, `${name}-desktop`);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(150);
  await snap(page, `${name}-phone`);
  await page.setViewportSize({ width: 1280, height: 800 });
}
