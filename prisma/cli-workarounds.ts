// Workarounds for the Prisma 6.19 CLI's Wasm schema engine (engine: "js" + adapter in prisma.config.ts).
// Loaded only by prisma.config.ts inside the Prisma CLI process; never import it from app or test code:
// it patches pg's result parser and setTimeout globally (STACK.md §1b).
import Result from "pg/lib/result";

// prisma/orm#27403: the engine's introspection returns `name` (OID 19) and `"char"` (OID 18) columns,
// which @prisma/adapter-pg cannot deserialize. Report them as text (OID 25).
const R = Result as unknown as {
  prototype: { addFields(fields: { dataTypeID: number }[]): void; __prismaNameFix?: boolean };
};
if (!R.prototype.__prismaNameFix) {
  const addFields = R.prototype.addFields;
  R.prototype.addFields = function (fields) {
    for (const f of fields) if (f.dataTypeID === 19 || f.dataTypeID === 18) f.dataTypeID = 25;
    return addFields.call(this, fields);
  };
  R.prototype.__prismaNameFix = true;
}

// The Wasm engine leaves 10 s / 60 s timers pending after a command has finished; unref long timers so
// `migrate deploy` exits when its work is done.
const g = globalThis as unknown as { __prismaUnrefTimers?: boolean };
if (!g.__prismaUnrefTimers) {
  const setTimeoutOrig = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = setTimeoutOrig(fn, ms, ...args);
    if ((ms ?? 0) >= 5000) t.unref?.();
    return t;
  }) as typeof globalThis.setTimeout;
  g.__prismaUnrefTimers = true;
}
