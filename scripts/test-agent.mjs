#!/usr/bin/env node
// A scripted test agent: what the `local` runtime runs in tests and demos instead of a real coding agent
// (configure e.g. GASTOWN_AGENT_COMMANDS="test=node scripts/test-agent.mjs").
// It reads the env contract of SPEC.md §4.4 and calls the agent API of §4.3 like a real agent would:
// gt_prime, a heartbeat right away and then periodically, and finally gt_done — all with the agent's
// bearer token, JSON bodies, snake_case keys. Plain Node ESM, no dependencies. Never prints a token.
//
// Behaviour comes from the town env vars:
//   TEST_AGENT_MODE          auto (default) | pr | direct | fail | silent | hang | rework | done-fail
//                              auto: pr when there is a PR URL to report (refinery: GASTOWN_PR_URL,
//                              polecat: TEST_AGENT_PR_URL), else direct
//                              pr: gt_done {branch, pr_url, summary}; direct: gt_done {branch, summary}
//                              fail: no gt_done, exit TEST_AGENT_EXIT_CODE (default 1)
//                              silent: no gt_done, exit 0; hang: heartbeat until stopped
//                              rework: (refinery) gt_request_changes, then gt_done without pr_url
//                              done-fail: gt_done, then exit TEST_AGENT_EXIT_CODE (default 1)
//   TEST_AGENT_PR_URL        PR URL a polecat reports (a refinery reports GASTOWN_PR_URL)
//   TEST_AGENT_DELAY_MS      time spent "working" between prime and done (default 0)
//   TEST_AGENT_HEARTBEAT_MS  heartbeat period (default 1000)
//   TEST_AGENT_SUMMARY       gt_done summary; TEST_AGENT_FEEDBACK  gt_request_changes feedback
//   TEST_AGENT_EXIT_CODE     exit code of fail / done-fail
//   TEST_AGENT_IGNORE_SIGTERM=1  keep running on SIGTERM (exercises the runtime's SIGKILL)
// As the mayor (GASTOWN_AGENT_ROLE=mayor) it chats instead: for each person's message (from gt_prime's mail,
// then from heartbeats sent with {status: "waiting"}) it slings one issue titled after the message to the
// rig the message names (rig_id, or a rig's name in the text, else the first rig) and answers with gt_reply.
//   TEST_AGENT_MAYOR_POLL_MS  how often it asks for mail while waiting (default 500)
//   TEST_AGENT_MAYOR_IDLE_MS  exits 0 after this long without mail (default 60000)
// Exit codes: 0 success, 1 an API call failed (or the fail modes), 2 the env contract is incomplete.

const env = process.env;
const agentId = env.GASTOWN_AGENT_ID ?? "?";
const role = env.GASTOWN_AGENT_ROLE ?? "?";
const say = (message) => console.log(`[test-agent ${agentId} ${role}] ${message}`);

const apiUrl = (env.GASTOWN_API_URL ?? "").replace(/\/+$/, "");
// `let`: a live agent's token is renewed through its heartbeat answer after an hour.
let token = env.GASTOWN_AGENT_TOKEN ?? "";
if (!apiUrl || !token) {
  say("GASTOWN_API_URL and GASTOWN_AGENT_TOKEN are required");
  process.exit(2);
}

const CONTRACT = [
  "GASTOWN_API_URL", "GASTOWN_AGENT_TOKEN", "GASTOWN_AGENT_ID", "GASTOWN_AGENT_ROLE", "GASTOWN_TOWN_ID",
  "GASTOWN_RIG_ID", "GASTOWN_BEAD_ID", "GASTOWN_BRANCH", "GASTOWN_TARGET_BRANCH", "GASTOWN_PR_URL",
  "GASTOWN_GIT_URL", "GASTOWN_GIT_TOKEN", "GASTOWN_PROMPT",
];
// Names only: the values include the agent token and the git token.
say(`env contract present: ${CONTRACT.filter((k) => env[k]).join(" ")}`);

const branch = env.GASTOWN_BRANCH ?? "";
const delayMs = Number(env.TEST_AGENT_DELAY_MS ?? 0) || 0;
const heartbeatMs = Math.max(50, Number(env.TEST_AGENT_HEARTBEAT_MS ?? 1000) || 1000);
const exitCode = Number(env.TEST_AGENT_EXIT_CODE ?? 1);
const reportedPrUrl = role === "refinery" ? env.GASTOWN_PR_URL : env.TEST_AGENT_PR_URL;
let mode = env.TEST_AGENT_MODE ?? "auto";
if (mode === "auto") mode = reportedPrUrl ? "pr" : "direct";
const MODES = ["pr", "direct", "fail", "silent", "hang", "rework", "done-fail"];
if (!MODES.includes(mode)) {
  say(`unknown TEST_AGENT_MODE '${mode}' (one of ${MODES.join(", ")})`);
  process.exit(2);
}

if (env.TEST_AGENT_IGNORE_SIGTERM === "1") {
  process.on("SIGTERM", () => say("SIGTERM received and ignored"));
} else {
  process.on("SIGTERM", () => {
    say("SIGTERM received, exiting");
    process.exit(143);
  });
}

/** POST /api/agent/<tool>; returns the parsed answer or throws with the status (never the token). */
async function call(tool, body = {}) {
  let res;
  try {
    res = await fetch(`${apiUrl}/api/agent/${tool}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new Error(`${tool}: ${error?.name === "TimeoutError" ? "timed out" : "unreachable"}`);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new Error(`${tool}: HTTP ${res.status}`);
  say(`${tool} → ${res.status}`);
  return data;
}

async function heartbeat() {
  const answer = await call("gt_heartbeat", {
    last_event_type: "test_agent_working",
    last_event_at: new Date().toISOString(),
    active_tools: [],
  });
  const nudges = Array.isArray(answer?.nudges) ? answer.nudges.length : 0;
  const mail = Array.isArray(answer?.mail) ? answer.mail.length : 0;
  if (nudges || mail) say(`heartbeat delivered ${nudges} nudge(s), ${mail} mail(s)`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The mayor's chat loop: act on each person's message, then wait (heartbeat {status: "waiting"}) for more. */
async function mayor() {
  const prime = await call("gt_prime");
  const rigs = Array.isArray(prime?.town?.rigs) ? prime.town.rigs : [];
  say(`mayor primed: ${rigs.length} rig(s), ${prime?.undelivered_mail?.length ?? 0} unread message(s)`);
  const pollMs = Math.max(50, Number(env.TEST_AGENT_MAYOR_POLL_MS ?? 500) || 500);
  const idleExitMs = Math.max(0, Number(env.TEST_AGENT_MAYOR_IDLE_MS ?? 60_000));
  const beat = async (status) => {
    const answer = await call("gt_heartbeat", { status, last_event_type: `mayor_${status}`, last_event_at: new Date().toISOString() });
    if (typeof answer?.token === "string" && answer.token) {
      token = answer.token;
      say("token renewed");
    }
    return Array.isArray(answer?.mail) ? answer.mail : [];
  };
  let pending = Array.isArray(prime?.undelivered_mail) ? prime.undelivered_mail : [];
  let idleSince = Date.now();
  for (;;) {
    if (pending.length > 0) {
      await beat("working");
      for (const mail of pending) await answerMail(mail, rigs);
      idleSince = Date.now();
    }
    pending = await beat("waiting");
    if (pending.length === 0) {
      if (Date.now() - idleSince >= idleExitMs) {
        say("no mail for a while: exiting");
        process.exit(0);
      }
      await sleep(pollMs);
    }
  }
}

async function answerMail(mail, rigs) {
  if (mail.from_kind !== "person") {
    say(`notice read: ${mail.subject}`);
    return;
  }
  const text = `${mail.subject ?? ""}\n${mail.body ?? ""}`.toLowerCase();
  const rig = rigs.find((r) => r.id === mail.rig_id) ?? rigs.find((r) => text.includes(String(r.name).toLowerCase())) ?? rigs[0];
  if (!rig) {
    await call("gt_reply", { text: "There is no rig in this town yet: add one on the Rigs page and write to me again." });
    return;
  }
  const title = String(mail.subject ?? "work").slice(0, 200);
  const slung = await call("gt_sling", { rig_id: rig.id, title, body: mail.body ?? null });
  await call("gt_reply", { text: `On it: slung "${title}" to rig ${rig.name} (bead ${slung?.bead_id ?? "?"}).` });
}

async function main() {
  if (role === "mayor") return mayor();
  const prime = await call("gt_prime");
  const hooked = prime?.hooked_bead?.id ?? prime?.hooked_bead?.bead_id ?? env.GASTOWN_BEAD_ID ?? "none";
  say(`primed (mode ${mode}, hooked bead ${hooked})`);
  await heartbeat();

  // Heartbeats keep running in the background while the agent "works".
  let heartbeatFailure = null;
  const timer = setInterval(() => {
    heartbeat().catch((error) => {
      heartbeatFailure = error;
    });
  }, heartbeatMs);

  if (mode === "hang") {
    say("hanging until stopped");
    return; // the interval keeps the process alive
  }

  await sleep(delayMs);
  clearInterval(timer);
  if (heartbeatFailure) say(`a heartbeat failed: ${heartbeatFailure.message}`);

  const summary = env.TEST_AGENT_SUMMARY ?? `test agent ${agentId} finished in mode ${mode}`;
  switch (mode) {
    case "fail":
      say(`failing on purpose with exit code ${exitCode}`);
      process.exit(exitCode);
    case "silent":
      say("exiting without gt_done");
      process.exit(0);
    case "rework":
      await call("gt_request_changes", { feedback: env.TEST_AGENT_FEEDBACK ?? "Please address the review comments." });
      await call("gt_done", { branch, summary });
      say("requested changes and reported done without a PR URL");
      process.exit(0);
    case "pr":
      if (!reportedPrUrl) {
        say(role === "refinery" ? "no GASTOWN_PR_URL to report" : "TEST_AGENT_PR_URL is required in pr mode");
        process.exit(2);
      }
      await call("gt_done", { branch, pr_url: reportedPrUrl, summary });
      say(`done with pr_url ${reportedPrUrl}`);
      process.exit(0);
    case "direct":
      await call("gt_done", { branch, summary });
      say("done without a PR URL");
      process.exit(0);
    case "done-fail":
      await call("gt_done", { branch, summary });
      say(`done, then exiting with code ${exitCode}`);
      process.exit(exitCode);
  }
}

main().catch((error) => {
  say(`failed: ${error.message}`);
  process.exit(1);
});
