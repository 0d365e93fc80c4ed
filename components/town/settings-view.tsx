"use client";

import { useRouter } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Card, ErrorState, Spinner } from "@/components/ui/states";
import { GitHubWebhooksCard } from "./github-webhooks-card";
import { MembersCard } from "./members-card";
import { NotificationsCard } from "./notifications-card";
import { SecretsCard, TownSettingsForm } from "./town-settings-form";

export function SettingsView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const town = useQuery(trpc.town.get.queryOptions({ townId }));
  const del = useMutation(trpc.town.delete.mutationOptions({ onSuccess: () => router.push("/towns") }));
  if (town.isPending) return <Spinner label="Loading settings…" />;
  if (town.isError) return <ErrorState error={town.error} onRetry={() => town.refetch()} />;
  const isOwner = town.data.role === "owner";
  return (
    <div className="space-y-6">
      <TownSettingsForm townId={townId} />
      <div className="grid gap-6 lg:grid-cols-2">
        <SecretsCard townId={townId} />
        <MembersCard townId={townId} myRole={town.data.role} />
      </div>
      <GitHubWebhooksCard townId={townId} />
      <NotificationsCard townId={townId} isOwner={isOwner} />
      <Card title="Danger zone">
        <p className="mb-3 text-sm text-slate-600">Deleting the town removes its rigs, beads, agents and history. This cannot be undone.</p>
        <Button
          variant="danger"
          busy={del.isPending}
          disabledReason={isOwner ? undefined : "Only owners can delete a town."}
          onClick={() => {
            if (confirm(`Delete the town "${town.data.name}" and everything in it?`)) del.mutate({ townId });
          }}
        >
          Delete town
        </Button>
      </Card>
    </div>
  );
}
