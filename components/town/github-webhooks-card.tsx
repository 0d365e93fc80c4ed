"use client";

import { useEffect, useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { ErrorLine } from "@/components/ui/error-line";
import { RelativeTime } from "@/components/ui/relative-time";
import { Card, ErrorState, Spinner } from "@/components/ui/states";
import { useTownRole } from "@/components/ui/use-town-role";

// Settings → GitHub webhooks (issue 16): what to paste into GitHub (URL, content type, events, secret) and
// the last delivery received. The secret is shown once, right after it is generated or rotated.

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-1 sm:grid-cols-[9rem_1fr] sm:items-baseline">
      <dt className="text-sm font-medium text-slate-600">{label}</dt>
      <dd className="min-w-0 text-sm">{children}</dd>
    </div>
  );
}

function Copyable({ value, testId }: { value: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="flex min-w-0 items-center gap-2">
      <code className="min-w-0 break-all rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs" data-testid={testId}>
        {value}
      </code>
      <Button
        type="button"
        size="sm"
        variant="ghost"
        onClick={() => navigator.clipboard?.writeText(value).then(() => (setCopied(true), setTimeout(() => setCopied(false), 1500)))}
      >
        {copied ? "Copied" : "Copy"}
      </Button>
    </span>
  );
}

export function GitHubWebhooksCard({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const { ownerReason } = useTownRole(townId);
  const hook = useQuery(trpc.webhooks.get.queryOptions({ townId }, { refetchInterval: 15_000 }));
  const [origin, setOrigin] = useState("");
  const [shown, setShown] = useState<string | null>(null);
  useEffect(() => setOrigin(window.location.origin), []);
  const rotate = useMutation(
    trpc.webhooks.rotateSecret.mutationOptions({
      onSuccess: async (res) => {
        setShown(res.secret);
        await refetchFresh(trpc.webhooks.get.queryKey({ townId }));
      },
    }),
  );

  if (hook.isPending) return <Card title="GitHub webhooks"><Spinner /></Card>;
  if (hook.isError) return <Card title="GitHub webhooks"><ErrorState error={hook.error} onRetry={() => hook.refetch()} /></Card>;
  const data = hook.data;
  const url = `${data.baseUrl ?? origin}${data.path}`;
  const last = data.lastDelivery;

  return (
    <Card title="GitHub webhooks">
      <div className="space-y-4" data-testid="github-webhooks">
        <p className="text-sm text-slate-600">
          With a webhook, GitHub tells this town at once when a PR is merged or closed, a review requests changes or a
          check fails, and PR polling slows to every 10 minutes as a fallback. In the repository on GitHub: Settings →
          Webhooks → Add webhook, with:
        </p>
        <dl className="space-y-2">
          <Row label="Payload URL">
            <Copyable value={url} testId="webhook-url" />
          </Row>
          <Row label="Content type">
            <code className="font-mono text-xs">{data.contentType}</code>
          </Row>
          <Row label="Secret">
            {shown ? (
              <span className="block space-y-1">
                <Copyable value={shown} testId="webhook-secret" />
                <span className="block text-xs text-amber-800" role="status">
                  Copy it now: it is shown only this once.
                </span>
              </span>
            ) : data.secret ? (
              <span>
                <code className="font-mono text-xs">{data.secret.masked}</code>{" "}
                <span className="text-xs text-slate-500">
                  (generated <RelativeTime value={data.secret.createdAt} />)
                </span>
              </span>
            ) : (
              <span className="text-slate-500">None yet: generate one, then paste it into GitHub.</span>
            )}
          </Row>
          <Row label="Events">
            Let me select individual events:{" "}
            {data.events.map((e, i) => (
              <span key={e}>
                {i > 0 ? ", " : ""}
                <code className="font-mono text-xs">{e}</code>
              </span>
            ))}
          </Row>
          <Row label="Last delivery">
            {last ? (
              <span data-testid="webhook-last-delivery">
                <RelativeTime value={last.receivedAt} /> · <code className="font-mono text-xs">{last.event}</code> ·{" "}
                {last.result === "enqueued" ? `${last.eventsEnqueued} event(s) queued` : "nothing to do"}
                <span className="block text-xs text-slate-500">{last.detail}</span>
              </span>
            ) : (
              <span className="text-slate-500">None received yet. GitHub sends a ping when the webhook is added.</span>
            )}
          </Row>
        </dl>
        <div className="flex flex-wrap items-center gap-2">
          <Button
            type="button"
            size="sm"
            variant={data.secret ? "ghost" : "primary"}
            busy={rotate.isPending}
            disabledReason={ownerReason}
            onClick={() => {
              if (!data.secret || confirm("Rotate the webhook secret? Deliveries fail (401) until you paste the new one into GitHub.")) rotate.mutate({ townId });
            }}
          >
            {data.secret ? "Rotate secret" : "Generate secret"}
          </Button>
          <ErrorLine error={rotate.error} />
        </div>
        <p className="text-xs text-slate-500">
          A repository used by several towns needs one webhook per town (each URL names its town and each town has its own
          secret). Without deliveries in the last 30 minutes, PRs are polled every minute as before.
        </p>
      </div>
    </Card>
  );
}
