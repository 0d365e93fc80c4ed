import { describe, expect, it } from "vitest";
import { z } from "zod";
import { TOOL_CATALOG, TOOL_NAMES } from "../../server/agent-api/catalog";
import { AGENT_ROLES } from "../../server/domain/types";
import { describeExtraTools, getCatalogTool, listToolsForRole, toInputJsonSchema } from "./tools";

const names = (role: (typeof AGENT_ROLES)[number]) => listToolsForRole(role).map((t) => t.name);

describe("tools per role", () => {
  it("a polecat sees its work tools but not the mayor's or the refinery's", () => {
    const polecat = names("polecat");
    expect(polecat).toEqual(expect.arrayContaining(["gt_prime", "gt_done", "gt_heartbeat", "gt_bead_status", "gt_escalate"]));
    for (const mayorOnly of ["gt_sling", "gt_sling_batch", "gt_reply", "gt_list_beads", "gt_bead_update", "gt_convoy_start", "gt_convoy_close", "gt_request_changes"]) {
      expect(polecat).not.toContain(mayorOnly);
    }
  });

  it("the mayor sees gt_sling and gt_reply but not gt_done", () => {
    const mayor = names("mayor");
    expect(mayor).toEqual(expect.arrayContaining(["gt_prime", "gt_sling", "gt_sling_batch", "gt_reply", "gt_list_beads", "gt_heartbeat"]));
    expect(mayor).not.toContain("gt_done");
  });

  it("the refinery sees gt_request_changes", () => {
    expect(names("refinery")).toContain("gt_request_changes");
  });

  it("never offers the runtime callbacks to any role", () => {
    const callbacks = TOOL_NAMES.filter((n) => TOOL_CATALOG[n].kind === "callback");
    expect(callbacks).toEqual(expect.arrayContaining(["agent_completed", "container_status"]));
    for (const role of AGENT_ROLES) for (const cb of callbacks) expect(names(role)).not.toContain(cb);
  });

  it("offers each tool with the catalog's description", () => {
    for (const tool of listToolsForRole("mayor")) expect(tool.description).toBe(TOOL_CATALOG[tool.name].description);
  });
});

describe("input JSON schemas", () => {
  it("are objects whose required fields are exactly the fields the zod schema cannot do without", () => {
    for (const name of TOOL_NAMES) {
      const tool = getCatalogTool(name)!;
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.inputSchema).not.toHaveProperty("$schema");
      const shape = (TOOL_CATALOG[name].schema as unknown as z.ZodObject).shape;
      // Independent of the JSON: a field is required when its own schema refuses `undefined`.
      const zodRequired = Object.entries(shape)
        .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
        .map(([key]) => key)
        .sort();
      expect([...(tool.inputSchema.required ?? [])].sort(), name).toEqual(zodRequired);
      expect(Object.keys(tool.inputSchema.properties ?? {}).sort(), name).toEqual(Object.keys(shape).sort());
    }
  });

  it("describe what a caller sends: the checkpoint's data is a string, not its parsed JSON", () => {
    expect(getCatalogTool("gt_checkpoint")!.inputSchema.properties!.data).toEqual({ type: "string" });
    expect(getCatalogTool("gt_sling")!.inputSchema.properties!.priority).toMatchObject({ enum: ["low", "medium", "high", "critical"] });
  });

  it("refuses a schema that is not an object", () => {
    expect(() => toInputJsonSchema(z.string())).toThrow("object");
  });
});

describe("extra tools", () => {
  const handler = () => ({ ok: true as const, body: {} });

  it("get a JSON schema from their zod schema, or an empty object schema", () => {
    const [withZod, bare] = describeExtraTools([
      { name: "gh_pr_comment", description: "Comment", schema: z.object({ body: z.string() }), handler },
      { name: "gh_ping", description: "Ping", handler },
    ]);
    expect(withZod.inputSchema).toMatchObject({ type: "object", required: ["body"] });
    expect(bare.inputSchema).toEqual({ type: "object", properties: {} });
  });

  it("may not shadow an agent API tool or repeat a name", () => {
    expect(() => describeExtraTools([{ name: "gt_done", description: "x", handler }])).toThrow("shadow");
    expect(() => describeExtraTools([{ name: "a", description: "x", handler }, { name: "a", description: "y", handler }])).toThrow("twice");
  });
});
