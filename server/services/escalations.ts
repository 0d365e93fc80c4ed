import type { Db } from "../db/client";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { DomainError } from "../domain/errors";
import { isTerminal, PRIORITIES } from "../domain/types";
import { asRecord, changeStatusByPerson, inTransaction, makeTownDue, writeBeadEvent } from "./people-writes";

// Escalations (SPEC.md §4.1 escalations page, DOMAIN.md §5.4): open ones by severity, acknowledged ones on
// request; acknowledging sets acknowledged/acknowledged_at and closes the escalation bead (idempotent).

export const SEVERITIES = PRIORITIES; // low | medium | high | critical
export type Severity = (typeof SEVERITIES)[number];
const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

const ESCALATION_SELECT = {
  id: true,
  title: true,
  body: true,
  status: true,
  priority: true,
  rigId: true,
  labels: true,
  metadata: true,
  createdBy: true,
  createdAt: true,
  updatedAt: true,
  escalation: true,
} satisfies Prisma.BeadSelect;

type EscalationRow = Prisma.BeadGetPayload<{ select: typeof ESCALATION_SELECT }>;

function view(b: EscalationRow) {
  const metadata = asRecord(b.metadata);
  return {
    id: b.id,
    title: b.title,
    body: b.body,
    status: b.status,
    rigId: b.rigId,
    severity: (b.escalation?.severity ?? "medium") as Severity,
    category: b.escalation?.category ?? null,
    acknowledged: b.escalation?.acknowledged ?? false,
    acknowledgedAt: b.escalation?.acknowledgedAt ?? null,
    reEscalationCount: b.escalation?.reEscalationCount ?? 0,
    sourceBeadId: typeof metadata.source_bead_id === "string" ? metadata.source_bead_id : null,
    createdBy: b.createdBy,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

const OPEN_BEAD = { status: { notIn: ["closed", "failed"] } } satisfies Prisma.BeadWhereInput;

/** Open (unacknowledged, not finished) escalations most severe first, or the acknowledged ones; newest first within a severity. */
export async function listEscalations(db: Db, townId: string, input: { acknowledged: boolean; severity?: Severity[]; limit: number }) {
  const where: Prisma.BeadWhereInput = {
    townId,
    type: "escalation",
    escalation: { acknowledged: input.acknowledged, ...(input.severity?.length ? { severity: { in: input.severity } } : {}) },
    ...(input.acknowledged ? {} : OPEN_BEAD),
  };
  const [rows, counts] = await Promise.all([
    db.bead.findMany({ where, select: ESCALATION_SELECT, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: input.limit }),
    db.escalationMetadata.groupBy({ by: ["severity"], where: { townId, acknowledged: false, bead: OPEN_BEAD }, _count: { _all: true } }),
  ]);
  const items = rows.map(view).sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9));
  const openBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const c of counts) if (c.severity in openBySeverity) openBySeverity[c.severity as Severity] = c._count._all;
  return { items, openBySeverity, openCount: Object.values(openBySeverity).reduce((a, b) => a + b, 0) };
}

/** Acknowledge: acknowledged + acknowledged_at, and the escalation bead closed. Acknowledging twice is fine. */
export async function acknowledgeEscalation(db: PrismaClient, townId: string, actorUserId: string, escalationId: string, now = new Date()) {
  return inTransaction(db, async (tx) => {
    await tx.$queryRaw`SELECT bead_id FROM beads WHERE bead_id = ${escalationId} AND town_id = ${townId} FOR UPDATE`;
    const bead = await tx.bead.findFirst({ where: { id: escalationId, townId, type: "escalation" }, select: ESCALATION_SELECT });
    if (!bead || !bead.escalation) throw new DomainError("not_found", "Escalation not found in this town.");
    const res = await tx.escalationMetadata.updateMany({ where: { beadId: bead.id, townId, acknowledged: false }, data: { acknowledged: true, acknowledgedAt: now } });
    if (res.count === 1) {
      if (!isTerminal(bead.status)) {
        await changeStatusByPerson(tx, townId, actorUserId, bead, "closed", now, { reason: "escalation acknowledged", metadata: { action: "acknowledge" } });
      } else {
        await writeBeadEvent(tx, townId, actorUserId, { beadId: bead.id, eventType: "fields_updated", newValue: "acknowledged", metadata: { action: "acknowledge" } }, now);
      }
      await makeTownDue(tx, townId, now);
    }
    const after = await tx.bead.findFirstOrThrow({ where: { id: bead.id, townId }, select: ESCALATION_SELECT });
    return { ...view(after), changed: res.count === 1 };
  });
}
