// `npm run db:seed`: a demo town to click around in. Idempotent: reuses the demo user if it exists.
import { getAuth } from "../server/auth/auth";
import { getDb } from "../server/db/client";
import { makeBeads, makeRig, makeTown } from "./factories";

const EMAIL = "demo@example.test";
const PASSWORD = "demo-password";

async function main() {
  const db = getDb();
  let user = await db.user.findUnique({ where: { email: EMAIL } });
  if (!user) {
    await getAuth().api.signUpEmail({ body: { email: EMAIL, password: PASSWORD, name: "Demo" } });
    user = await db.user.findUniqueOrThrow({ where: { email: EMAIL } });
  }
  const town = await makeTown(db, user.id, { name: `demo-${new Date().toISOString().slice(0, 16)}` });
  const web = await makeRig(db, town.id, { name: "web", gitUrl: "https://github.com/example/web" });
  const api = await makeRig(db, town.id, { name: "api", gitUrl: "https://github.com/example/api" });
  const statuses = ["open", "open", "in_progress", "in_review", "closed", "closed", "failed"];
  await makeBeads(db, town.id, 120, (i) => ({
    rigId: i % 2 ? web.id : api.id,
    status: statuses[i % statuses.length],
    title: `Demo task ${i + 1}`,
    labels: i % 5 === 0 ? ["ui"] : [],
  }));
  console.log(`Seeded town "${town.name}" (${town.id}). Sign in as ${EMAIL} / ${PASSWORD}.`);
  await db.$disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
