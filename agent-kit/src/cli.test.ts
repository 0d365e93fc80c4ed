import { describe, expect, it } from "vitest";
import { flagKey, formatToolHelp, formatToolList, parseToolArgs, resolveToolName, runGtCli, type CliIo } from "./cli";
import { getCatalogTool } from "./tools";

const TOKEN = "gta_cli-secret-token-0123456789";
const tool = (name: string) => getCatalogTool(name)!;
const body = (name: string, argv: string[]) => {
  const parsed = parseToolArgs(tool(name), argv);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.body;
};
const refusal = (name: string, argv: string[]) => {
  const parsed = parseToolArgs(tool(name), argv);
  if (parsed.ok) throw new Error("expected a refusal");
  return parsed.message;
};

describe("parseToolArgs", () => {
  it("maps --kebab-case and --snake_case flags to snake_case keys", () => {
    expect(flagKey("--rig-id")).toBe("rig_id");
    expect(body("gt_sling", ["--rig-id", "r1", "--title", "Fix it"])).toEqual({ rig_id: "r1", title: "Fix it" });
    expect(body("gt_sling", ["--rig_id=r1", "--title=a=b"])).toEqual({ rig_id: "r1", title: "a=b" });
  });

  it("keeps strings strings and reads numbers, booleans and JSON where the schema wants them", () => {
    expect(body("gt_sling", ["--rig-id", "42", "--title", "true"])).toEqual({ rig_id: "42", title: "true" });
    expect(body("gt_list_beads", ["--limit", "5"])).toEqual({ limit: 5 });
    expect(body("gt_sling_batch", ["--rig-id", "r", "--convoy-title", "c", "--tasks", '[{"title":"a"}]', "--parallel", "--staged", "false"])).toEqual({
      rig_id: "r",
      convoy_title: "c",
      tasks: [{ title: "a" }],
      parallel: true,
      staged: false,
    });
    expect(body("gt_sling_batch", ["--no-parallel"])).toEqual({ parallel: false });
    expect(body("gt_sling", ["--metadata", '{"k":1}'])).toEqual({ metadata: { k: 1 } });
  });

  it("collects a repeated flag into an array, and takes a JSON array", () => {
    expect(body("gt_sling", ["--labels", "a", "--labels", "b"])).toEqual({ labels: ["a", "b"] });
    expect(body("gt_sling", ["--labels", "solo"])).toEqual({ labels: ["solo"] });
    expect(body("gt_sling", ["--labels", '["a","b"]'])).toEqual({ labels: ["a", "b"] });
    // status is "one status or a list": one value stays a string, two become a list
    expect(body("gt_list_beads", ["--status", "open"])).toEqual({ status: "open" });
    expect(body("gt_list_beads", ["--status", "open", "--status", "closed"])).toEqual({ status: ["open", "closed"] });
  });

  it("merges --json with the flags, the flags winning", () => {
    expect(body("gt_sling", ["--json", '{"rig_id":"r1","title":"from json","body":"b"}', "--title", "from flag"])).toEqual({
      rig_id: "r1",
      title: "from flag",
      body: "b",
    });
  });

  it("refuses unknown fields, missing values, bad numbers, bad JSON and stray words", () => {
    expect(refusal("gt_sling", ["--rigid", "x"])).toContain('no field "rigid"');
    expect(refusal("gt_sling", ["--rigid", "x"])).toContain("--rig-id");
    expect(refusal("gt_sling", ["--title"])).toContain("needs a value");
    expect(refusal("gt_list_beads", ["--limit", "five"])).toContain("takes a number");
    expect(refusal("gt_sling", ["--title", "a", "--title", "b"])).toContain("takes one value");
    expect(refusal("gt_sling", ["--json", "{nope"])).toContain("not valid JSON");
    expect(refusal("gt_sling", ["--json", "[1]"])).toContain("JSON object");
    expect(refusal("gt_sling", ["stray"])).toContain("Unexpected argument");
  });

  it("notices --help among the fields", () => {
    expect(parseToolArgs(tool("gt_sling"), ["--help"])).toEqual({ ok: true, help: true, body: {} });
  });
});

describe("help", () => {
  it("lists a role's tools with their first sentence, and only those", () => {
    const polecat = formatToolList("polecat");
    expect(polecat).toContain("gt_bead_status");
    expect(polecat).not.toContain("gt_sling");
    expect(formatToolList("mayor")).toContain("gt_reply");
    expect(formatToolList(null)).toMatch(/gt_sling .*\[mayor\]/);
    expect(formatToolList(null)).not.toContain("agent_completed");
  });

  it("shows a tool's fields from its JSON schema, marking the required ones", () => {
    const help = formatToolHelp(tool("gt_sling"));
    expect(help).toMatch(/--rig-id\s+string\s+\(required\)/);
    expect(help).toMatch(/--priority\s+low\|medium\|high\|critical\n/);
    expect(help).toMatch(/--labels\s+\[string, …\] \(repeat the flag/);
    expect(formatToolHelp(tool("gt_prime"))).toContain("No fields.");
  });

  it("resolves short tool names", () => {
    expect(resolveToolName("bead-status")).toBe("gt_bead_status");
    expect(resolveToolName("gt_sling")).toBe("gt_sling");
    expect(resolveToolName("nope")).toBe("nope");
  });
});

describe("runGtCli", () => {
  function io(env: Record<string, string>, answer: (url: string, body: unknown) => Response) {
    let stdout = "";
    let stderr = "";
    const sent: { url: string; body: unknown }[] = [];
    const value: CliIo = {
      env,
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      fetch: (async (url: string, init: RequestInit) => {
        const b = JSON.parse(String(init.body));
        sent.push({ url, body: b });
        return answer(url, b);
      }) as typeof fetch,
    };
    return { io: value, out: () => stdout, err: () => stderr, sent };
  }
  const env = { GASTOWN_API_URL: "http://api.test", GASTOWN_AGENT_TOKEN: TOKEN, GASTOWN_AGENT_ROLE: "polecat" };

  it("prints the JSON answer and exits 0", async () => {
    const t = io(env, () => Response.json({ bead: { id: "b1", status: "open" } }));
    expect(await runGtCli(["bead-status", "--bead-id", "b1"], t.io)).toBe(0);
    expect(t.sent).toEqual([{ url: "http://api.test/api/agent/gt_bead_status", body: { bead_id: "b1" } }]);
    expect(JSON.parse(t.out())).toEqual({ bead: { id: "b1", status: "open" } });
  });

  it("exits 1 with the API's error line, and the token appears nowhere", async () => {
    const t = io(env, () => Response.json({ error: { code: "unauthorized", message: `token ${TOKEN} expired` } }, { status: 401 }));
    expect(await runGtCli(["gt_prime"], t.io)).toBe(1);
    expect(t.err()).toContain("gt gt_prime: 401 unauthorized: token [redacted] expired");
    expect(t.out() + t.err()).not.toContain(TOKEN);
  });

  it("hides a refreshed token in a heartbeat answer", async () => {
    const t = io(env, () => Response.json({ ok: true, token: "gta_new-token-abcdefghijkl" }));
    expect(await runGtCli(["gt_heartbeat"], t.io)).toBe(0);
    expect(t.out()).not.toContain("gta_new-token-abcdefghijkl");
  });

  it("exits 2 without calling the API on invalid arguments, another role's tool, a callback or a missing env", async () => {
    const t = io(env, () => Response.json({}));
    expect(await runGtCli(["gt_escalate", "--title", "  "], t.io)).toBe(2);
    expect(t.err()).toContain("title: A title is required.");
    expect(await runGtCli(["gt_sling", "--rig-id", "r", "--title", "x"], t.io)).toBe(2);
    expect(t.err()).toContain("not available to a polecat");
    expect(await runGtCli(["agent_completed", "--status", "completed"], t.io)).toBe(2);
    expect(t.sent).toEqual([]);

    const bare = io({ GASTOWN_AGENT_ROLE: "mayor" }, () => Response.json({}));
    expect(await runGtCli(["gt_prime"], bare.io)).toBe(2);
    expect(bare.err()).toContain("GASTOWN_API_URL is not set");
    expect(bare.sent).toEqual([]);
  });

  it("--role (before or after the tool) picks the tool list", async () => {
    const t = io({}, () => Response.json({}));
    expect(await runGtCli(["--role", "mayor", "--help"], t.io)).toBe(0);
    expect(t.out()).toContain("gt_sling");
    const m = io({ ...env, GASTOWN_AGENT_ROLE: "" }, () => Response.json({ id: "b" }));
    expect(await runGtCli(["gt_sling", "--rig-id", "r", "--title", "x", "--role", "mayor"], m.io)).toBe(0);
    expect(m.sent[0].body).toEqual({ rig_id: "r", title: "x" });
  });

  it("sends the checkpoint's data as the string it was given", async () => {
    const t = io(env, () => Response.json({ ok: true }));
    expect(await runGtCli(["gt_checkpoint", "--data", '{"step":2}'], t.io)).toBe(0);
    expect(t.sent[0].body).toEqual({ data: '{"step":2}' });
  });
});
