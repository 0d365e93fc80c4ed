import type { PrismaClient } from "../db/generated/client";

// Who may create an account (GASTOWN_SIGNUP, issue 13): `open` (anyone; the zero-setup default), `invite`
// (only addresses a town owner invited from a members card) or `closed` (nobody new). The first user of an
// empty database can always sign up, so a fresh install is never locked out.

export type SignUpPolicy = "open" | "invite" | "closed";

export const SIGN_UP_CLOSED_MESSAGE = "Sign-up is closed on this server. Ask its operator for an account.";
export const SIGN_UP_INVITE_ONLY_MESSAGE =
  "Sign-up on this server is by invitation: ask a town owner to invite this email address, then sign up with it.";

/** Null when `email` may sign up under `policy`, else the message the sign-up form shows. */
export async function signUpRefusal(db: PrismaClient, policy: SignUpPolicy, email: string): Promise<string | null> {
  if (policy === "open") return null;
  if ((await db.user.count()) === 0) return null;
  if (policy === "closed") return SIGN_UP_CLOSED_MESSAGE;
  const invited = await db.invite.count({ where: { email: email.trim().toLowerCase() } });
  return invited > 0 ? null : SIGN_UP_INVITE_ONLY_MESSAGE;
}

/** A new account takes up every invitation of its address: a membership per town (audited), the invites gone. */
export async function acceptInvites(db: PrismaClient, user: { id: string; email: string }) {
  const email = user.email.toLowerCase();
  await db.$transaction(async (tx) => {
    const invites = await tx.invite.findMany({ where: { email } });
    for (const invite of invites) {
      await tx.townMember.createMany({ data: [{ townId: invite.townId, userId: user.id, role: invite.role }], skipDuplicates: true });
      await tx.auditLog.create({
        data: {
          townId: invite.townId,
          actorUserId: invite.invitedByUserId,
          action: "member.add",
          targetType: "user",
          targetId: user.id,
          detail: { email, role: invite.role, via: "invite" },
        },
      });
    }
    await tx.invite.deleteMany({ where: { email } });
  });
}
