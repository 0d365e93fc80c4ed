import type pg from "pg";
import type { PrismaClient } from "../server/db/generated/client";
import { createAdapters, loadAdapterConfig } from "../server/adapters";
import { signWebhookPayload } from "../server/adapters/github/webhook";
import { receiveGitHubWebhook, rotateWebhookSecret } from "../server/services/github-webhooks";
import { buildTickDeps } from "../server/tick/deps";
import { runTick } from "../server/tick/run-tick";
import type { FakeGitHub } from "../server/testing/fake-github/server";
import { makeBead, makeRig, makeTown } from "../prisma/factories";
import { percentile, timed } from "./stats";

// The webhook path (issue 16) against the poll path it replaces: per sample, 10 MRs whose PRs GitHub has just
// merged. Webhook path: the fake GitHub's 10 signed `pull_request.closed` deliveries go through the real
// service (signature check, MR lookup, one enqueue, dedupe row), then the tick closes the 10 MRs. Poll path
// (the control): the same 10 merged PRs without a delivery, last polled long ago, so R1 polls them and the next tick applies the answers. Timed: the ticks until all 10 are closed. Counted at
// the fake GitHub: the requests each path makes. The 10 MRs are new for every sample (made untimed).

export const WEBHOOK_TEXT =
  "10 MRs whose PRs were just merged on the fake GitHub; webhook path: 10 signed pull_request.closed deliveries through the real service, then ticks until closed; poll path: no delivery, last poll 1 h ago, ticks until closed (the first polls, the next applies)";

const MRS = 10;
const TOKEN = "ghp_BENCHtoken0123456789abcdef0123456789";

export interface WebhookPathResult {
  label: "webhook" | "poll";
  samples: number;
  /** one delivery through the service (webhook path only) */
  deliveryP50: number;
  deliveryP95: number;
  tickP50: number;
  tickP95: number;
  githubRequestsPerMr: number;
  closedPerSample: number;
  /** ticks until all 10 were closed */
  ticksPerSample: number;
}

export async function webhookPath(db: PrismaClient, pool: pg.Pool, fake: FakeGitHub, ownerUserId: string, opts: { samples: number; via: "webhook" | "poll" }): Promise<WebhookPathResult> {
  const savedWebUrl = process.env.GITHUB_WEB_URL;
  process.env.GITHUB_WEB_URL = fake.webUrl; // the service matches repositories on the web host
  try {
    const adapters = createAdapters({
      config: loadAdapterConfig({ GITHUB_API_URL: fake.apiUrl, GITHUB_WEB_URL: fake.webUrl, GITHUB_TOKEN: TOKEN, GASTOWN_SHARED_GITHUB_TOKEN: "all" }),
    });
    const deps = buildTickDeps({ adapters, pool, apiUrl: "http://127.0.0.1:9", instanceId: `bench-${opts.via}`, captureException: () => {} });
    const town = await makeTown(db, ownerUserId, { name: `bench ${opts.via} path` });
    const { secret } = await rotateWebhookSecret(db, town.id, ownerUserId);
    const repo = opts.via === "webhook" ? "hooked" : "polled";
    fake.addRepo("acme", repo);
    const rig = await makeRig(db, town.id, { name: repo, gitUrl: `${fake.webUrl}/acme/${repo}`, config: { code_review: false } });

    const deliveries: number[] = [];
    const ticks: number[] = [];
    let requests = 0;
    let closed = 0;
    let deliveryN = 0;
    let tickTotal = 0;
    for (let i = 0; i <= opts.samples; i++) {
      // 10 fresh MRs on 10 PRs that GitHub then merges (untimed)
      const lastPoll = new Date(Date.now() - (opts.via === "webhook" ? 2 * 60_000 : 3_600_000)).toISOString();
      const made: { mrId: string; number: number }[] = [];
      for (let k = 0; k < MRS; k++) {
        const { prUrl, pr } = fake.addPr({ owner: "acme", repo, headRef: `gt/bench-${i}-${k}` });
        const source = await makeBead(db, town.id, { rigId: rig.id, status: "in_review", title: `source ${i}-${k}` });
        const mr = await makeBead(db, town.id, {
          rigId: rig.id,
          type: "merge_request",
          status: "in_progress",
          labels: ["gt:merge-request"],
          metadata: { source_bead_id: source.id, pr_url: prUrl, last_poll_at: lastPoll },
        });
        await db.reviewMetadata.create({ data: { beadId: mr.id, townId: town.id, branch: `gt/bench-${i}-${k}`, prUrl } });
        await db.beadDependency.create({ data: { townId: town.id, beadId: mr.id, dependsOnBeadId: source.id, dependencyType: "tracks" } });
        fake.updatePr(prUrl, { state: "merged" });
        made.push({ mrId: mr.id, number: pr.number });
      }
      await pool.query(`UPDATE towns SET next_tick_at = now() + interval '1 hour' WHERE id = $1`, [town.id]);
      const before = fake.calls.length;
      if (opts.via === "webhook") {
        for (const { number } of made) {
          const body = JSON.stringify({
            action: "closed",
            number,
            repository: { full_name: `acme/${repo}`, name: repo, owner: { login: "acme" } },
            pull_request: { number, state: "closed", merged: true, html_url: fake.prUrl("acme", repo, number) },
          });
          const headers = new Headers({
            "content-type": "application/json",
            "x-github-event": "pull_request",
            "x-github-delivery": `bench-delivery-${++deliveryN}`,
            "x-hub-signature-256": await signWebhookPayload(secret, body),
          });
          const { ms, value } = await timed(() => receiveGitHubWebhook(db, { townId: town.id, headers, rawBody: body }));
          if (value.status !== 200) throw new Error(`webhook delivery answered ${value.status}: ${JSON.stringify(value.body)}`);
          if (i > 0) deliveries.push(ms);
        }
      }
      // Ticks until the 10 MRs are closed: the webhook's events are drained by the first; a poll's answers are
      // queued by the first tick and drained by the next.
      const closedCount = async () =>
        Number((await pool.query(`SELECT count(*)::int AS n FROM beads WHERE bead_id = ANY($1) AND status = 'closed'`, [made.map((m) => m.mrId)])).rows[0].n);
      let took = 0;
      let done = 0;
      let tickCount = 0;
      while (tickCount < 3 && done < MRS) {
        const { ms, value: report } = await timed(() => runTick(deps, town.id, { now: new Date() }));
        if (!report) throw new Error(`${opts.via} path tick did not get its lease`);
        took += ms;
        tickCount++;
        done = await closedCount();
      }
      if (done !== MRS) throw new Error(`${opts.via} path: ${done} of ${MRS} MRs closed after ${tickCount} ticks`);
      if (i === 0) continue; // warm-up
      ticks.push(took);
      tickTotal += tickCount;
      requests += fake.calls.length - before;
      closed += done;
    }
    return {
      label: opts.via,
      samples: opts.samples,
      deliveryP50: deliveries.length ? percentile(deliveries, 50) : 0,
      deliveryP95: deliveries.length ? percentile(deliveries, 95) : 0,
      tickP50: percentile(ticks, 50),
      tickP95: percentile(ticks, 95),
      githubRequestsPerMr: requests / closed,
      closedPerSample: closed / opts.samples,
      ticksPerSample: tickTotal / opts.samples,
    };
  } finally {
    if (savedWebUrl === undefined) delete process.env.GITHUB_WEB_URL;
    else process.env.GITHUB_WEB_URL = savedWebUrl;
  }
}
