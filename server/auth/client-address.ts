import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";

// The real client address for the auth rate limits (issue 13), behind GASTOWN_TRUSTED_PROXY_HOPS proxies.
//
// Why not X-Forwarded-For alone: `next start` fills X-Forwarded-For from the socket only when the request has
// none (`??=`), so a client that writes the header itself chooses its own address, and one spoofed value per
// attempt would walk past any per-address limit. Route handlers never see the socket. So the Node server stamps
// every request with its TCP peer (`x-gastown-peer`, overwriting whatever a client sent) before Next handles
// it, and the address is read from the right of [...X-Forwarded-For, peer]: 0 hops is the peer itself; with N
// trusted proxies that each append what they saw, it is the entry N places left of the peer.

export const PEER_HEADER = "x-gastown-peer";
/** The one header better-auth reads the address from (advanced.ipAddress.ipAddressHeaders); set by us only. */
export const CLIENT_ADDRESS_HEADER = "x-gastown-client-ip";

const globalForStamp = globalThis as unknown as { __gastownPeerStamp?: boolean };

/** Stamps every request this Node process serves with its TCP peer address. Idempotent; call at boot. */
export function installPeerAddressStamp(): void {
  if (globalForStamp.__gastownPeerStamp) return;
  globalForStamp.__gastownPeerStamp = true;
  // Published synchronously by node:http before the server's "request" listeners (Next) run.
  subscribe("http.server.request.start", (message) => {
    const { request, socket } = message as { request: IncomingMessage; socket: Socket };
    const peer = socket.remoteAddress;
    if (peer) request.headers[PEER_HEADER] = peer;
    else delete request.headers[PEER_HEADER];
  });
}

/**
 * The client's address from the request headers: `hops` entries left of the TCP peer in
 * [...X-Forwarded-For, peer]. Without a peer stamp (a platform that owns the socket, e.g. serverless), the
 * last X-Forwarded-For entry stands for the peer. Undefined when nothing usable is there.
 */
export function resolveClientAddress(headers: Headers, hops: number): string | undefined {
  const forwarded = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  const peer = headers.get(PEER_HEADER)?.trim();
  const chain = peer ? [...forwarded, peer] : forwarded;
  if (chain.length === 0) return undefined;
  // Fewer entries than trusted hops: the leftmost is the furthest address anyone vouched for.
  return chain[Math.max(0, chain.length - 1 - hops)];
}

/** A copy of the request whose CLIENT_ADDRESS_HEADER is the resolved address (a client-sent one is dropped). */
export function withClientAddress(req: Request, hops: number): Request {
  const headers = new Headers(req.headers);
  headers.delete(CLIENT_ADDRESS_HEADER);
  const address = resolveClientAddress(req.headers, hops);
  if (address) headers.set(CLIENT_ADDRESS_HEADER, address);
  return new Request(req, { headers });
}
