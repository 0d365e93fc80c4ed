import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER, installPeerAddressStamp, PEER_HEADER, resolveClientAddress, withClientAddress } from "./client-address";

const h = (headers: Record<string, string>) => new Headers(headers);

describe("resolveClientAddress", () => {
  it("with no trusted proxy it is the TCP peer, whatever X-Forwarded-For a client wrote", () => {
    expect(resolveClientAddress(h({ [PEER_HEADER]: "198.51.100.7", "x-forwarded-for": "203.0.113.9" }), 0)).toBe("198.51.100.7");
  });

  it("behind N trusted proxies it is the entry N places left of the peer (a client-written prefix is ignored)", () => {
    const headers = h({ [PEER_HEADER]: "10.0.0.2", "x-forwarded-for": "203.0.113.9, 192.0.2.10" });
    expect(resolveClientAddress(headers, 1)).toBe("192.0.2.10");
    expect(resolveClientAddress(h({ [PEER_HEADER]: "10.0.0.3", "x-forwarded-for": "203.0.113.9, 192.0.2.10, 10.0.0.2" }), 2)).toBe("192.0.2.10");
  });

  it("without a peer stamp (a platform owns the socket) the last X-Forwarded-For entry stands for the peer", () => {
    expect(resolveClientAddress(h({ "x-forwarded-for": "192.0.2.10" }), 0)).toBe("192.0.2.10");
    expect(resolveClientAddress(h({}), 0)).toBeUndefined();
  });

  it("withClientAddress replaces a client-sent address header", () => {
    const req = new Request("http://127.0.0.1/api/auth/sign-in/email", { headers: { [CLIENT_ADDRESS_HEADER]: "1.1.1.1", [PEER_HEADER]: "198.51.100.7" } });
    expect(withClientAddress(req, 0).headers.get(CLIENT_ADDRESS_HEADER)).toBe("198.51.100.7");
  });
});

describe("installPeerAddressStamp", () => {
  it("stamps each request with its TCP peer, overwriting a header the client sent", async () => {
    installPeerAddressStamp();
    const server = http.createServer((req, res) => res.end(String(req.headers[PEER_HEADER])));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { [PEER_HEADER]: "6.6.6.6" } });
      expect(await res.text()).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    } finally {
      server.close();
    }
  });
});
