import { describe, expect, it } from "vitest";
import { testDb } from "../testing/db";
import { handleAgentRequest, MAX_BODY_BYTES } from "./handler";
import { makeAgent, seedTown, tokenFor } from "./testing";

// SPEC.md §5 / issue 13: the agent API checks the bearer token before it reads a byte of the body, so a
// caller without a valid token cannot make the server buffer (or even receive) a large body.

const db = testDb();
const FIVE_MIB = 5 * 1024 * 1024;

/** A chunked 5 MiB body (no content-length) that counts how often it was asked for a chunk. */
function countingBody() {
  const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
  const counter = { pulls: 0, bytes: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.bytes >= FIVE_MIB) return controller.close();
      counter.pulls += 1;
      counter.bytes += chunk.length;
      controller.enqueue(chunk);
    },
    cancel() {
      counter.cancelled = true;
    },
  });
  return { stream, counter };
}

function post(stream: ReadableStream<Uint8Array>, authorization?: string) {
  return new Request("http://localhost/api/agent/gt_done", {
    method: "POST",
    headers: authorization ? { authorization } : {},
    body: stream,
    duplex: "half",
  } as RequestInit);
}

describe("agent API: token before body", () => {
  it.each([
    ["no token", undefined],
    ["a malformed token", "Bearer not-a-token"],
    ["a forged token", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ0b3duSWQiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJlc2ln"],
  ])("an unauthenticated 5 MiB chunked body with %s gets 401 without the body being read", async (_what, authorization) => {
    const { stream, counter } = countingBody();
    const res = await handleAgentRequest(post(stream, authorization), "gt_done", { db, now: new Date() });
    expect(res.status).toBe(401);
    // The stream's start fills its one-chunk queue; nothing beyond that was ever pulled.
    expect(counter.pulls).toBeLessThanOrEqual(1);
    expect(counter.bytes).toBeLessThan(MAX_BODY_BYTES);
    expect(counter.cancelled).toBe(true);
  });

  it("with a valid token the same body is read up to the 1 MiB cap and refused with 413", async () => {
    const seeded = await seedTown(db);
    const polecat = await makeAgent(db, seeded.town.id, { rigId: seeded.rig.id });
    const token = await tokenFor(db, seeded.town.id, polecat);
    const { stream, counter } = countingBody();
    const res = await handleAgentRequest(post(stream, `Bearer ${token}`), "gt_done", { db, now: new Date() });
    expect(res.status).toBe(413);
    expect(counter.bytes).toBeGreaterThan(MAX_BODY_BYTES);
    expect(counter.bytes).toBeLessThan(FIVE_MIB);
  });
});
