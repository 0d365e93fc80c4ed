import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { refreshQueries } from "./refresh";

/**
 * The race behind a flaky e2e: the page opens, its list query is still on its first fetch, the person adds a
 * row, and the mutation's refresh must not settle for that first fetch's (older) answer.
 */
describe("refreshQueries", () => {
  function setup() {
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    let rows = ["owner"];
    const releases: (() => void)[] = [];
    // Each fetch reads the "database" at once and answers only when released: a slow response.
    const queryFn = () => {
      const snapshot = [...rows];
      return new Promise<string[]>((resolve) => releases.push(() => resolve(snapshot)));
    };
    const observer = new QueryObserver(queryClient, { queryKey: ["members"], queryFn });
    const unsubscribe = observer.subscribe(() => {});
    const add = (row: string) => (rows = [...rows, row]);
    // Answers every fetch (including ones started meanwhile) until `done` settles.
    const answerUntil = async (done: Promise<unknown>) => {
      let settled = false;
      void done.finally(() => (settled = true));
      while (!settled) {
        releases.splice(0).forEach((release) => release());
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    return { queryClient, observer, unsubscribe, add, answerUntil, releases };
  }

  it("shows a row added while the first fetch was still in flight", async () => {
    const { queryClient, observer, unsubscribe, add, answerUntil, releases } = setup();
    expect(releases).toHaveLength(1); // the first fetch has read ["owner"] and is on its way
    add("viewer");
    await answerUntil(refreshQueries(queryClient, [["members"]]));
    expect(observer.getCurrentResult().data).toEqual(["owner", "viewer"]);
    unsubscribe();
  });

  it("plain invalidation would have kept the stale first answer (why the cancel is there)", async () => {
    const { queryClient, observer, unsubscribe, add, answerUntil } = setup();
    add("viewer");
    await answerUntil(queryClient.invalidateQueries({ queryKey: ["members"] }));
    expect(observer.getCurrentResult().data).toEqual(["owner"]);
    unsubscribe();
  });

  it("refetches a query that already has data, with several keys given", async () => {
    const { queryClient, observer, unsubscribe, add, answerUntil } = setup();
    await answerUntil(queryClient.fetchQuery({ queryKey: ["members"] }));
    expect(observer.getCurrentResult().data).toEqual(["owner"]);
    add("member");
    await answerUntil(refreshQueries(queryClient, [["members"], ["invites"]]));
    expect(observer.getCurrentResult().data).toEqual(["owner", "member"]);
    unsubscribe();
  });
});
