import { Writable } from "node:stream";
import { createLogger, type Logger } from "../log";

/** A real logger (server/log.ts, the process's redactor) writing to memory: tests read the JSON lines it wrote. */
export function captureLogs(level = "debug"): { log: Logger; lines: string[]; parsed: () => Record<string, unknown>[]; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const log = createLogger({ level, destination });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), text: () => lines.join("\n") };
}
