// pglite-socket 0.1.6 hands PGlite one frontend message at a time, and PGlite answers an error in the
// extended protocol (Parse/Bind/Describe/Execute … Sync) with ErrorResponse *and an immediate
// ReadyForQuery*, then another ReadyForQuery for the Sync. A real Postgres sends one ReadyForQuery, at
// Sync, and ignores the messages in between. pg's client takes the early one as the end of the failed query,
// the late one as the end of its *next* query, and then drops the connection ("Received unexpected
// commandComplete message from backend"). So on the embedded server any SQL error broke a connection.
//
// This filter restores Postgres' behaviour per connection: after an ErrorResponse to an extended-protocol
// message, the premature ReadyForQuery is dropped and frontend messages are skipped until Sync, whose
// ReadyForQuery goes out as usual. Simple queries ('Q') are untouched: there E then Z is correct.
//
// Second problem, same root: all connections share one PGlite session, and outside a transaction the
// socket server's queue interleaves *messages* of different connections. The unnamed prepared statement
// is per session, so connection B's Parse could land between connection A's Parse and Bind ("bind message
// supplies 7 parameters, but prepared statement requires 6"). The queue already keeps one connection's
// messages together while a transaction is open; we make it treat an open Parse…Sync sequence the same way.

const EXTENDED = new Set(["P", "B", "D", "E", "C", "H"]);

/** Frontend message type, or null for the untyped startup / SSL request messages. */
export function frontendType(message) {
  if (message.length < 5) return null;
  const first = message[0];
  if (first < 0x41 || first > 0x7a) return null;
  const length = (message[1] << 24) | (message[2] << 16) | (message[3] << 8) | message[4];
  return length === message.length - 1 ? String.fromCharCode(first) : null;
}

/**
 * Wraps a handler's onData for one extended-protocol message: forwards complete backend messages, and after
 * an ErrorResponse drops any ReadyForQuery of the same answer. Returns { onData, flush, sawError }.
 */
export function backendFilter(forward) {
  let carry = Buffer.alloc(0);
  let sawError = false;
  const onData = (chunk) => {
    let buf = carry.length ? Buffer.concat([carry, Buffer.from(chunk)]) : Buffer.from(chunk);
    let offset = 0;
    const out = [];
    while (buf.length - offset >= 5) {
      const length = buf.readInt32BE(offset + 1);
      if (buf.length - offset < 1 + length) break;
      const type = String.fromCharCode(buf[offset]);
      const message = buf.subarray(offset, offset + 1 + length);
      offset += 1 + length;
      if (type === "E") sawError = true;
      else if (type === "Z" && sawError) continue; // premature: the Sync will answer
      out.push(message);
    }
    carry = Buffer.from(buf.subarray(offset));
    if (out.length) forward(new Uint8Array(Buffer.concat(out)));
  };
  const flush = () => {
    if (carry.length) forward(new Uint8Array(carry));
    carry = Buffer.alloc(0);
  };
  return { onData, flush, sawError: () => sawError };
}

/** Installs the filter on a PGLiteSocketServer's shared query queue (keyed by connection handler id). */
export function installPgProtocolFilter(server) {
  const queue = server.queryQueue;
  const enqueue = queue.enqueue.bind(queue);

  // Keep a connection's extended-protocol sequence (first message … Sync) together: while one is open, the
  // queue's "in a transaction" rule makes it take only that connection's messages.
  const handlerOf = new WeakMap(); // message bytes -> handler id
  let openSequence = null; // handler id with a Parse…Sync sequence in progress
  const db = queue.db;
  queue.db = new Proxy(db, {
    get(target, key) {
      if (key === "isInTransaction") return () => target.isInTransaction() || openSequence !== null;
      if (key === "execProtocolRawStream") {
        return async (message, options) => {
          const type = frontendType(message);
          const handlerId = handlerOf.get(message);
          if (type && EXTENDED.has(type) && handlerId !== undefined) openSequence = handlerId;
          try {
            return await target.execProtocolRawStream(message, options);
          } finally {
            if (type === "S" || type === "Q" || type === "X") openSequence = null;
          }
        };
      }
      if (key === "exec") {
        // used by the queue to roll back a disconnected connection's transaction: its sequence is over too
        return (...args) => ((openSequence = null), target.exec(...args));
      }
      const value = target[key];
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const track = (handlerId, message) => {
    handlerOf.set(message, handlerId);
    return message;
  };
  const skipping = new Map(); // handlerId -> true while waiting for Sync after an error
  queue.enqueue = (handlerId, message, onData) => {
    const type = frontendType(message);
    if (type === null || type === "Q" || type === "X") {
      skipping.delete(handlerId);
      return enqueue(handlerId, track(handlerId, message), onData);
    }
    if (skipping.get(handlerId)) {
      if (type !== "S") return Promise.resolve(0); // ignored until Sync, as Postgres does
      skipping.delete(handlerId);
      return enqueue(handlerId, track(handlerId, message), onData);
    }
    if (!EXTENDED.has(type)) return enqueue(handlerId, track(handlerId, message), onData);
    const filter = backendFilter(onData);
    return enqueue(handlerId, track(handlerId, message), filter.onData).then((n) => {
      filter.flush();
      if (filter.sawError()) skipping.set(handlerId, true);
      return n;
    });
  };
}
