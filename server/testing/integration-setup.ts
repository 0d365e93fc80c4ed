import { afterAll, beforeAll } from "vitest";
import { getDb } from "../db/client";
import { truncateAll } from "./db";

// Runs before each integration test file: every file starts from empty tables (files run one at a time).
if (!process.env.DATABASE_URL) {
  throw new Error("Integration tests need a database: run them with `npm test` or `npm run test:integration`, which provide one.");
}

beforeAll(async () => {
  await truncateAll(getDb());
});

afterAll(async () => {
  await getDb().$disconnect();
});
