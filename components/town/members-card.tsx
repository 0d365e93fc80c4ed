"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { Card, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { errorMessage } from "@/components/ui/use-error";

type Role = "owner" | "member" | "viewer";
const OWNER_ONLY = "Only owners manage members.";

export function MembersCard({ townId, myRole }: { townId: string; myRole: Role | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.town.members.queryOptions({ townId }));
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.town.members.queryKey({ townId }) });
  const add = useMutation(trpc.town.addMember.mutationOptions({ onSuccess: async () => (setEmail(""), refresh()) }));
  const setMemberRole = useMutation(trpc.town.setMemberRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.town.removeMember.mutationOptions({ onSuccess: refresh }));
  const isOwner = myRole === "owner";
  const err = add.error ?? setMemberRole.error ?? remove.error;

  function onSubmit(e: FormEvent) {
    e.preventDefault();
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
      <form onSubmit={onSubmit} className="mt-4 grid gap-3 sm:grid-cols-[2fr_1fr_auto] sm:items-end">
        <Field label="Add a member by email" htmlFor="member-email">
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
      {err ? (
        <p className="mt-2 text-sm text-red-600" role="alert">
          {errorMessage(err)}
        </p>
      ) : null}
    </Card>
  );
}
