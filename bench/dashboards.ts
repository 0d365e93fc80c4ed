import { execSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { RecordedPage, RecordedPolls } from "./browser";
import { Client } from "./replay";
import type { Member } from "./sessions";
import { percentile } from "./stats";

// Many open dashboards (issue 15, item 4): N simulated overview pages, each with its own session, opened with
// staggered starts (a whole first load each), then polling exactly as Chromium was seen to poll an open
// overview (the recorded requests at their recorded offsets, repeated every recorded window). After every
// page is open, the server's CPU is read from /proc for a measured window: the `next start` process group
// (the server and any worker it forked) and, for reference, the Postgres backends of the bench's database.

const CLK_TCK = (() => {
  try {
    return Number(execSync("getconf CLK_TCK", { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime (+ the reaped children's) in seconds, of a process's stat line. */
function cpuOfStat(stat: string): { pgrp: number; seconds: number } {
  // the command name (field 2) may hold spaces: the fields after it start after the last ')'
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // f[0] is field 3 (state): field n is f[n - 3]
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return { pgrp: Number(f[2]), seconds: ticks / CLK_TCK };
}

/** CPU seconds used so far by every process in process group `pgrp` (the app runs in a group of its own). */
export function groupCpuSeconds(pgrp: number): number {
  let total = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = cpuOfStat(readFileSync(`/proc/${name}/stat`, "utf8"));
      if (s.pgrp === pgrp) total += s.seconds;
    } catch {
      /* exited */
    }
  }
  return total;
}

/** CPU seconds used so far by the given processes (Postgres backends). */
export function pidsCpuSeconds(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuOfStat(readFileSync(`/proc/${pid}/stat`, "utf8")).seconds;
    } catch {
      /* gone */
    }
  }
  return total;
}

export interface DashboardsResult {
  clients: number;
  measuredS: number;
  /** CPU seconds of the app per second of wall time (1 = one core busy) */
  appCpu: number;
  /** the same for the Postgres backends of the bench database (null when /proc does not show them) */
  dbCpu: number | null;
  polls: number;
  pollsPerS: number;
  /** what the open pages asked for: clients × recorded requests per window ÷ window */
  demandedPerS: number;
  /** app CPU seconds per poll, and what the demanded rate costs at that price (the honest figure when the
   *  server could not keep up, i.e. pollsPerS < demandedPerS: then appCpu is only what it managed to get) */
  cpuPerPollMs: number;
  demandedCpu: number;
  p50: number;
  p95: number;
  errors: number;
  /** what one open page requests per poll window (procedures per request) */
  schedule: string[];
}

export async function runDashboards(opts: {
  origin: string;
  members: Member[];
  overview: RecordedPage;
  polls: RecordedPolls;
  /** the app's process group id (AppServer.pid) */
  appPid: number;
  /** the Postgres backends to measure alongside (pg_stat_activity of the database) */
  dbPids: () => Promise<number[]>;
  staggerMs: number;
  measureMs: number;
  describe: (path: string) => string;
}): Promise<DashboardsResult> {
  const { polls, windowMs } = opts.polls;
  if (!polls.length) throw new Error("no polls were recorded for the overview: nothing to replay");
  const clients = opts.members.map((m) => new Client(opts.origin, m.cookie));
  const timers = new Set<NodeJS.Timeout>();
  let measuring = false;
  let stopped = false;
  const times: number[] = [];
  let errors = 0;
  const inFlight: Promise<unknown>[] = [];
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
  };
  const poll = (client: Client, i: number) => {
    const { request } = polls[i];
    const p = client
      .send(request)
      .then((r) => {
        if (!measuring) return;
        times.push(r.ms);
        if (r.status !== 200) errors++;
      })
      .catch(() => measuring && errors++);
    inFlight.push(p);
  };
  // Each page: a first load at its staggered start, then the recorded polls at their offsets, every window.
  const open = (client: Client, k: number) =>
    later((k * opts.staggerMs) / clients.length, async () => {
      await client.load(opts.overview).catch(() => {});
      const cycle = () => {
        polls.forEach((p, i) => later(p.offset, () => poll(client, i)));
        later(windowMs, cycle);
      };
      later(opts.polls.leadMs, cycle);
    });
  clients.forEach((c, k) => open(c, k));
  // every page open and in its polling rhythm (one full window) before the measurement starts
  await new Promise((r) => setTimeout(r, opts.staggerMs + windowMs));
  const dbPids = await opts.dbPids().catch(() => [] as number[]);
  const app0 = groupCpuSeconds(opts.appPid);
  const db0 = pidsCpuSeconds(dbPids);
  const w0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, opts.measureMs));
  measuring = false;
  const wall = (performance.now() - w0) / 1000;
  const app1 = groupCpuSeconds(opts.appPid);
  const db1 = pidsCpuSeconds(dbPids);
  stopped = true;
  for (const t of timers) clearTimeout(t);
  await Promise.allSettled(inFlight);
  for (const c of clients) c.close();
  return {
    clients: clients.length,
    measuredS: wall,
    appCpu: (app1 - app0) / wall,
    dbCpu: dbPids.length ? (db1 - db0) / wall : null,
    polls: times.length,
    pollsPerS: times.length / wall,
    demandedPerS: (clients.length * polls.length) / (windowMs / 1000),
    cpuPerPollMs: ((app1 - app0) / Math.max(1, times.length)) * 1000,
    demandedCpu: (((app1 - app0) / Math.max(1, times.length)) * clients.length * polls.length) / (windowMs / 1000),
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    errors,
    schedule: polls.map((p) => `+${(p.offset / 1000).toFixed(1)} s ${opts.describe(p.request.path)}`),
  };
}
