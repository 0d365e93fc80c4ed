import { describe, expect, it } from "vitest";
// @ts-ignore plain ESM helper of the embedded server
import { backendFilter, frontendType } from "./pg-protocol-filter.mjs";

const msg = (type: string, body = Buffer.alloc(0)) => {
  const b = Buffer.alloc(5 + body.length);
  b.write(type, 0);
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
};
const types = (chunks: Uint8Array[]) => {
  const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
  const out: string[] = [];
  for (let o = 0; o + 5 <= all.length; o += 1 + all.readInt32BE(o + 1)) out.push(String.fromCharCode(all[o]));
  return out.join("");
};

describe("embedded Postgres protocol filter", () => {
  it("recognises typed frontend messages and leaves startup / SSL requests alone", () => {
    expect(frontendType(msg("P", Buffer.from("abc")))).toBe("P");
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8, 0);
    startup.writeInt32BE(196608, 4);
    expect(frontendType(startup)).toBeNull();
  });

  it("drops the premature ReadyForQuery after an ErrorResponse, keeps everything else", () => {
    const sent: Uint8Array[] = [];
    const f = backendFilter((b: Uint8Array) => sent.push(b));
    f.onData(Buffer.concat([msg("E", Buffer.from("boom")), msg("Z", Buffer.from("E"))]));
    f.flush();
    expect(types(sent)).toBe("E");
    expect(f.sawError()).toBe(true);
  });

  it("reassembles messages split across chunks and passes a normal answer through", () => {
    const sent: Uint8Array[] = [];
    const f = backendFilter((b: Uint8Array) => sent.push(b));
    const whole = Buffer.concat([msg("D", Buffer.from("row")), msg("C", Buffer.from("SELECT 1"))]);
    f.onData(whole.subarray(0, 7));
    f.onData(whole.subarray(7));
    f.flush();
    expect(types(sent)).toBe("DC");
    expect(f.sawError()).toBe(false);
  });
});
