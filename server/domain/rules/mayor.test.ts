import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_DISPATCH_ATTEMPTS, dispatchCooldownMs } from "../constants";
import { reconcile } from "../reconcile";
import { agent, makeWorld } from "../testing";
import { mayorStartBlocker } from "./mayor";

const NOW = new Date("2026-12-04T12:00:00Z");
const mayor = (over: Parameters<typeof agent>[0] = {}) => agent({ id: "mayor-1", role: "mayor", rigId: null, name: "mayor", ...over });
const startsOf = (actions: ReturnType<typeof reconcile>) => actions.filter((a) => a.type === "start_mayor");

describe("M1: start the mayor when mail waits", () => {
  it("starts an idle mayor that has unread mail, once, hookless", () => {
    const actions = reconcile(makeWorld({ agents: [mayor()], mayorUnreadMail: 2 }), NOW);
    expect(startsOf(actions)).toEqual([expect.objectContaining({ type: "start_mayor", rule: "M1", agentId: "mayor-1" })]);
    expect(actions.some((a) => a.type === "dispatch_agent")).toBe(false);
  });

  it("does nothing without mail", () => {
    expect(startsOf(reconcile(makeWorld({ agents: [mayor()], mayorUnreadMail: 0 }), NOW))).toEqual([]);
  });

  it.each(["working", "waiting", "stalled"] as const)("leaves a %s mayor alone: it reads mail with its heartbeat", (status) => {
    expect(startsOf(reconcile(makeWorld({ agents: [mayor({ status })], mayorUnreadMail: 3 }), NOW))).toEqual([]);
  });

  it("restarts a dead mayor", () => {
    expect(startsOf(reconcile(makeWorld({ agents: [mayor({ status: "dead" })], mayorUnreadMail: 1 }), NOW))).toHaveLength(1);
  });

  it("backs off after a failed start by the dispatch backoff on its own attempts", () => {
    const dispatchedAt = new Date(NOW.getTime() - dispatchCooldownMs(1) + 1000);
    const world = makeWorld({ agents: [mayor({ dispatchAttempts: 1, dispatchedAt })], mayorUnreadMail: 1 });
    expect(startsOf(reconcile(world, NOW))).toEqual([]);
    expect(startsOf(reconcile(world, new Date(NOW.getTime() + 1000)))).toHaveLength(1);
  });

  it("gives up after the attempt cap until a person writes again", () => {
    const mayorAgent = mayor({ dispatchAttempts: DEFAULT_MAX_DISPATCH_ATTEMPTS, dispatchedAt: new Date(NOW.getTime() - 3_600_000) });
    const world = makeWorld({ agents: [mayorAgent], mayorUnreadMail: 1 });
    expect(startsOf(reconcile(world, NOW))).toEqual([]);
    expect(mayorStartBlocker(world, mayorAgent, NOW, false)).toMatch(/failed to start 5 times/);
  });

  it("does not start while the breaker is open or the town drains", () => {
    expect(startsOf(reconcile(makeWorld({ agents: [mayor()], mayorUnreadMail: 1, recentDispatchFailures: 25 }), NOW))).toEqual([]);
    expect(startsOf(reconcile(makeWorld({ agents: [mayor()], mayorUnreadMail: 1, draining: true }), NOW))).toEqual([]);
  });

  it("is not touched by the worker rules: no A1 idling, no GUPP, no GC for a hookless working mayor", () => {
    const old = new Date(NOW.getTime() - 3 * 3_600_000);
    const actions = reconcile(makeWorld({ agents: [mayor({ status: "working", lastActivityAt: old, dispatchedAt: old })] }), NOW);
    expect(actions.filter((a) => "agentId" in a && a.agentId === "mayor-1")).toEqual([]);
  });
});
