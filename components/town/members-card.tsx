"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { Card, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { ErrorLine } from "@/components/ui/error-line";

type Role = "owner" | "member" | "viewer";
const OWNER_ONLY = "Only owners manage members.";

export function MembersCard({ townId, myRole }: { townId: string; myRole: Role | undefined }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const members = useQuery(trpc.town.members.queryOptions({ townId }));
  const invites = useQuery(trpc.town.invites.queryOptions({ townId }));
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () =>
    refetchFresh(trpc.town.members.queryKey({ townId }), trpc.town.invites.queryKey({ townId }));
  const add = useMutation(
    trpc.town.addMember.mutationOptions({
      onSuccess: async (res) => {
        setEmail("");
        // An address without an account is invited: it may sign up (even under GASTOWN_SIGNUP=invite) and joins then.
        setNotice(res.invited ? `${res.email} has no account yet: invited. They join this town when they sign up with that address.` : null);
        await refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.town.revokeInvite.mutationOptions({ onSuccess: refresh }));
  const setMemberRole = useMutation(trpc.town.setMemberRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.town.removeMember.mutationOptions({ onSuccess: refresh }));
  const isOwner = myRole === "owner";
  const err = add.error ?? setMemberRole.error ?? remove.error ?? revoke.error;

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setNotice(null);
    add.mutate({ townId, email, role });
  }

  return (
    <Card title="Members">
      {members.isPending ? (
        <Spinner />
      ) : members.isError ? (
        <ErrorState error={members.error} />
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" data-testid="members">
          {members.data.map((m) => (
            <li key={m.userId} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <span>
                {m.name} <span className="text-slate-500">{m.email}</span>
              </span>
              <span className="flex items-center gap-2">
                {isOwner ? (
                  <Select
                    aria-label={`Role of ${m.email}`}
                    value={m.role}
                    onChange={(e) => setMemberRole.mutate({ townId, userId: m.userId, role: e.target.value as Role })}
                    className="w-28"
                  >
                    <option value="owner">owner</option>
                    <option value="member">member</option>
                    <option value="viewer">viewer</option>
                  </Select>
                ) : (
                  <StatusBadge status={m.role} />
                )}
                {isOwner ? (
                  <Button variant="ghost" size="sm" onClick={() => remove.mutate({ townId, userId: m.userId })}>
                    Remove
                  </Button>
                ) : null}
              </span>
            </li>
          ))}
        </ul>
      )}
      {invites.data && invites.data.length > 0 ? (
        <div className="mt-4">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Invited (no account yet)</h3>
          <ul className="divide-y divide-slate-100 text-sm" data-testid="invites">
            {invites.data.map((i) => (
              <li key={i.email} className="flex flex-wrap items-center justify-between gap-2 py-2">
                <span>
                  {i.email} <span className="text-slate-500">as {i.role}</span>
                </span>
                {isOwner ? (
                  <Button variant="ghost" size="sm" onClick={() => revoke.mutate({ townId, email: i.email })}>
                    Revoke
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <form onSubmit={onSubmit} className="mt-4 grid gap-3 sm:grid-cols-[2fr_1fr_auto] sm:items-end">
        <Field label="Add a member by email" hint="No account yet? They are invited and join when they sign up." htmlFor="member-email">
          <Input id="member-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required disabled={!isOwner} />
        </Field>
        <Field label="Role" htmlFor="member-role">
          <Select id="member-role" value={role} onChange={(e) => setRole(e.target.value as Role)} disabled={!isOwner}>
            <option value="member">member</option>
            <option value="viewer">viewer</option>
            <option value="owner">owner</option>
          </Select>
        </Field>
        <Button type="submit" busy={add.isPending} disabledReason={isOwner ? undefined : OWNER_ONLY}>
          Add
        </Button>
      </form>
      {notice ? (
        <p className="mt-2 text-sm text-emerald-700" role="status" data-testid="invite-notice">
          {notice}
        </p>
      ) : null}
      <ErrorLine error={err} className="mt-2" />
    </Card>
  );
}
