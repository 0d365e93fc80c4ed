// Development helper: one working-drain run with statement counts, for `node --cpu-prof` (see bench/notes.md).
import { getDb } from "../server/db/client";
import { getPool } from "../server/db/pool";
import { makeUser } from "../prisma/factories";
import { countStatements } from "./counting";
import { workDrainRun } from "./drain-work";

const pool = getPool();
const counter = countStatements(pool);
// time per statement kind (the first words of its SQL), to see where a slow drain waits
const bySql = new Map<string, { n: number; ms: number }>();
pool.on("connect", (client) => {
  const inner = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
  (client as unknown as { query: (...a: unknown[]) => Promise<unknown> }).query = async (...a: unknown[]) => {
    const sql = typeof a[0] === "string" ? a[0] : String((a[0] as { text?: string })?.text ?? "?");
    const key = sql.replace(/\s+/g, " ").trim().slice(0, 90);
    const t = performance.now();
    try {
      return await inner(...a);
    } finally {
      const e = bySql.get(key) ?? { n: 0, ms: 0 };
      e.n += 1;
      e.ms += performance.now() - t;
      bySql.set(key, e);
    }
  };
});
const db = getDb();
const owner = await makeUser(db, { email: `prof-${Date.now()}@example.test` });
const events = Number(process.argv[2] ?? 2000);
const r = await counter.measure(() => workDrainRun(db, pool, owner.id, events, `prof-${Date.now()}`));
console.log(`${r.value.events} events, ${Math.round(r.value.rate)} events/s, ${r.value.drains} drains, ${r.statements} statements incl. seeding`);
for (const [k, v] of [...bySql].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) console.log(`${Math.round(v.ms)} ms  ${v.n}×  ${k}`);
await pool.end();
await db.$disconnect();
