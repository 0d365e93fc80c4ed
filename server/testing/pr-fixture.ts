import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { createOctokitGitHub } from "@/server/adapters/github/octokit";
import type { GitHub } from "@/server/adapters/github/types";
import { parseEventPayload, type EventType } from "@/server/domain/events";
import {
  completedRun,
  startFakeGitHub,
  type FakeGitHub,
} from "@/server/testing/fake-github/server";
import { runMergePr, runPollPr, type EventToEnqueue, type MergePrInput, type PollPrInput } from "../tick/side-effects/pr";

// The fixture of the PR side-effect tests (pr-poll.test.ts, pr-merge.test.ts): real HTTP end to end — the
// side effects → the Octokit adapter → the loopback fake GitHub. The only doubles are a few GitHub *ports*
// that throw or answer null, for paths the real adapter never takes. Call setupPrFixture() at the top of a
// test file; `fake` and `github` are live bindings set by its beforeAll.

// Looks like a real token so a leak into a payload or a log line is easy to spot.
export const TOKEN = "ghp_PRSIDEEFFECTsecret0123456789abcdef";
export const MR = "mr-1";
export const NOW = new Date("2026-03-01T12:00:00.000Z");
export const minutesAgo = (m: number, extraMs = 0) => new Date(NOW.getTime() - m * 60_000 - extraMs);

export let fake: FakeGitHub;
export let github: GitHub;
export const logLines: string[] = [];
export const log = (m: string) => logLines.push(m);

export function makeGitHub(fetchHook?: (url: string) => void): GitHub {
  return createOctokitGitHub({
    apiUrl: fake.apiUrl,
    webUrl: fake.webUrl,
    timeoutMs: 300,
    log,
    ...(fetchHook
      ? {
          fetch: async (url: string | URL | Request, init?: RequestInit) => {
            const res = await fetch(url, init);
            fetchHook(typeof url === "string" ? url : url instanceof URL ? url.href : url.url);
            return res;
          },
        }
      : {}),
  });
}

/** Starts the fake GitHub for the file and checks, at the end, that no log line carried the token. */
export function setupPrFixture(): void {
  beforeAll(async () => {
    fake = await startFakeGitHub({ token: TOKEN });
    github = makeGitHub();
  });

  afterAll(async () => {
    await fake.close();
    // Nothing the adapter or the side effects logged in the whole file carries the token.
    expect(logLines.join("\n")).not.toContain(TOKEN);
  });

  afterEach(() => {
    fake.clearFailures();
    fake.resetCalls();
  });
}

export const rigUrl = () => `${fake.webUrl}/acme/widgets`;

/** An open PR in acme/widgets whose checks are green (two runs, no legacy statuses, no threads). */
export function greenPr(owner = "acme", repo = "widgets") {
  const { prUrl, pr } = fake.addPr({ owner, repo });
  fake.setCheckRuns(prUrl, [completedRun("success"), completedRun("skipped", "lint")]);
  return { prUrl, pr };
}

export function failingPr() {
  const { prUrl, pr } = fake.addPr({ owner: "acme", repo: "widgets" });
  fake.setCheckRuns(prUrl, [completedRun("success"), completedRun("failure", "tests")]);
  return { prUrl, pr };
}

export function pollInput(prUrl: string, overrides: Partial<PollPrInput> = {}): PollPrInput {
  return {
    mrBeadId: MR,
    prUrl,
    token: TOKEN,
    sourceBeadId: "src-1",
    branch: "gt/polecat/fix-things",
    rigGitUrl: rigUrl(),
    settings: { autoMerge: true, autoMergeDelayMinutes: 5, autoResolvePrFeedback: true },
    autoMergeReadySince: null,
    autoMergePending: false,
    held: false,
    hasOpenFeedbackBead: false,
    ...overrides,
  };
}

/** Every returned event targets the MR, parses as its type's payload, and carries no token. */
export function checked(events: EventToEnqueue[]): EventToEnqueue[] {
  for (const e of events) {
    expect(e.beadId).toBe(MR);
    expect(e.agentId).toBeNull();
    expect(() => parseEventPayload(e.eventType, e.payload)).not.toThrow();
    // Plain JSON, as the tick inserts it into jsonb.
    expect(JSON.parse(JSON.stringify(e.payload))).toEqual(e.payload);
  }
  expect(JSON.stringify(events)).not.toContain(TOKEN);
  return events;
}

export async function poll(prUrl: string, overrides: Partial<PollPrInput> = {}, gh: GitHub = github, now = NOW) {
  return checked(await runPollPr(gh, pollInput(prUrl, overrides), now, { log }));
}

export function mergeInput(prUrl: string, overrides: Partial<MergePrInput> = {}): MergePrInput {
  return { mrBeadId: MR, prUrl, token: TOKEN, rigGitUrl: rigUrl(), ...overrides };
}

export async function merge(prUrl: string, overrides: Partial<MergePrInput> = {}, gh: GitHub = github) {
  return checked(await runMergePr(gh, mergeInput(prUrl, overrides), NOW, { log }));
}

export const types = (events: EventToEnqueue[]) => events.map((e) => e.eventType);
export function find<T extends EventType>(events: EventToEnqueue[], type: T) {
  return events.filter((e): e is Extract<EventToEnqueue, { eventType: T }> => e.eventType === type);
}

// ------------------------------------------------------------------------------------------ poll_pr
