"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { ErrorLine } from "@/components/ui/error-line";
import { LIVE_MS } from "@/components/ui/live";
import { RelativeTime } from "@/components/ui/relative-time";
import { clockTime } from "@/components/ui/time";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import { OUTBOUND_KIND_LABELS, OUTBOUND_KINDS, type DeliveryKind, type OutboundKind } from "@/server/domain/notify";

// Settings → Notifications (issue 16): the town's outgoing channels (Slack incoming webhook, signed JSON
// webhook; email later), a test message per channel, and the delivery log in plain states. Every member
// sees channels (URL and secret masked) and the log; only owners add, test or delete.

type ChannelType = "slack" | "webhook";
type Severity = "low" | "medium" | "high" | "critical";
const OWNER_ONLY = "Only owners manage notification channels.";
const DEFAULT_KINDS: OutboundKind[] = ["escalation", "poisoned_event", "breaker_opened", "mr_failed"];

/** 32 random bytes as hex, made in the browser so the owner can copy it into the receiver before saving. */
function randomSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function NotificationsCard({ townId, isOwner }: { townId: string; isOwner: boolean }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const channels = useQuery(trpc.channels.list.queryOptions({ townId }));
  const deliveries = useQuery(trpc.channels.deliveries.queryOptions({ townId, limit: 30 }, { refetchInterval: LIVE_MS }));
  const refresh = () =>
    refetchFresh(trpc.channels.list.queryKey({ townId }), trpc.channels.deliveries.queryKey());

  const [type, setType] = useState<ChannelType>("slack");
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState("");
  const [kinds, setKinds] = useState<OutboundKind[]>(DEFAULT_KINDS);
  const [minSeverity, setMinSeverity] = useState<Severity>("high");
  const [testResult, setTestResult] = useState<string | null>(null);

  const create = useMutation(
    trpc.channels.create.mutationOptions({
      onSuccess: async () => {
        setName("");
        setUrl("");
        setSecret("");
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.channels.delete.mutationOptions({ onSuccess: refresh }));
  const test = useMutation(
    trpc.channels.sendTest.mutationOptions({
      onSuccess: async (o) => {
        setTestResult(o.status === "delivered" ? `Test message delivered (HTTP ${o.statusCode}).` : `Test message not delivered: ${o.error ?? "unknown error"}. It is retried like any other message.`);
        await refresh();
      },
    }),
  );
  const err = create.error ?? remove.error ?? test.error;

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ townId, channel: { type, name, url, kinds, minSeverity, ...(type === "webhook" ? { secret } : {}) } });
  }
  function toggleKind(kind: OutboundKind, on: boolean) {
    setKinds((k) => (on ? [...k.filter((x) => x !== kind), kind] : k.filter((x) => x !== kind)));
  }

  return (
    <Card title="Notifications">
      <p className="mb-3 text-sm text-slate-600">
        Send escalations, poisoned events, circuit-breaker changes, failed merge requests and landed convoys to Slack or to
        your own endpoint (a JSON POST signed with <code>X-Gastown-Signature-256</code>; see the README). Failed deliveries
        are retried after 30 s, 2 min, 10 min, 1 h and 6 h. Email: later.
      </p>

      {channels.isPending ? (
        <Spinner />
      ) : channels.isError ? (
        <ErrorState error={channels.error} onRetry={() => channels.refetch()} />
      ) : channels.data.channels.length === 0 ? (
        <EmptyState title="No channels yet">{isOwner ? "Add one below; send a test to check it." : "An owner can add one."}</EmptyState>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" data-testid="notification-channels">
          {channels.data.channels.map((c) => (
            <li key={c.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <span className="min-w-0">
                <span className="font-medium">{c.name}</span>{" "}
                <span className="text-slate-500">
                  {c.type === "slack" ? "Slack" : "Webhook"} · <code>{c.url}</code>
                  {c.secret ? (
                    <>
                      {" "}
                      · secret <code>{c.secret}</code>
                    </>
                  ) : null}
                </span>
                <span className="block text-xs text-slate-500">
                  {c.kinds.map((k) => OUTBOUND_KIND_LABELS[k as OutboundKind] ?? k).join(", ")}
                  {c.kinds.includes("escalation") ? ` (escalations ${c.minSeverity} and above)` : ""}
                </span>
              </span>
              <span className="flex items-center gap-2">
                <Button variant="ghost" size="sm" busy={test.isPending && test.variables?.channelId === c.id} disabledReason={isOwner ? undefined : OWNER_ONLY} onClick={() => (setTestResult(null), test.mutate({ townId, channelId: c.id }))}>
                  Send test
                </Button>
                <Button
                  variant="ghost"
                  size="sm"
                  disabledReason={isOwner ? undefined : OWNER_ONLY}
                  onClick={() => {
                    if (confirm(`Delete the channel "${c.name}"? Messages not yet delivered to it are dropped.`)) remove.mutate({ townId, channelId: c.id });
                  }}
                >
                  Delete
                </Button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {testResult ? (
        <p className="mt-2 text-sm text-slate-700" role="status" data-testid="channel-test-result">
          {testResult}
        </p>
      ) : null}

      <form onSubmit={onSubmit} className="mt-4 grid gap-3 sm:grid-cols-2" aria-label="Add a notification channel">
        <Field label="Type" htmlFor="channel-type">
          <Select id="channel-type" value={type} onChange={(e) => setType(e.target.value as ChannelType)} disabled={!isOwner}>
            <option value="slack">Slack incoming webhook</option>
            <option value="webhook">JSON webhook (signed)</option>
            <option value="email" disabled>
              Email (later)
            </option>
          </Select>
        </Field>
        <Field label="Channel name" htmlFor="channel-name">
          <Input id="channel-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={80} disabled={!isOwner} placeholder={type === "slack" ? "#alerts" : "pager bridge"} />
        </Field>
        <Field label="URL" htmlFor="channel-url" hint={type === "slack" ? "https://hooks.slack.com/services/… (kept secret)" : "https:// only (kept secret)"}>
          <Input id="channel-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} required disabled={!isOwner} autoComplete="off" />
        </Field>
        {type === "webhook" ? (
          <Field label="Signing secret" htmlFor="channel-secret" hint="At least 16 characters. Copy it to your receiver now: it is masked after saving.">
            <span className="flex gap-2">
              <Input id="channel-secret" value={secret} onChange={(e) => setSecret(e.target.value)} required minLength={16} disabled={!isOwner} autoComplete="off" spellCheck={false} />
              <Button type="button" variant="ghost" size="sm" disabledReason={isOwner ? undefined : OWNER_ONLY} onClick={() => setSecret(randomSecret())}>
                Generate
              </Button>
            </span>
          </Field>
        ) : (
          <div />
        )}
        <fieldset className="sm:col-span-2">
          <legend className="mb-1 text-sm font-medium text-slate-700">Send</legend>
          <div className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
            {OUTBOUND_KINDS.map((k) => (
              <label key={k} className="flex items-center gap-1.5">
                <input type="checkbox" checked={kinds.includes(k)} onChange={(e) => toggleKind(k, e.target.checked)} disabled={!isOwner} />
                {OUTBOUND_KIND_LABELS[k]}
              </label>
            ))}
          </div>
        </fieldset>
        <Field label="Escalations at or above" htmlFor="channel-severity">
          <Select id="channel-severity" value={minSeverity} onChange={(e) => setMinSeverity(e.target.value as Severity)} disabled={!isOwner || !kinds.includes("escalation")}>
            <option value="low">low</option>
            <option value="medium">medium</option>
            <option value="high">high</option>
            <option value="critical">critical</option>
          </Select>
        </Field>
        <div className="flex items-end">
          <Button type="submit" busy={create.isPending} disabledReason={isOwner ? (kinds.length === 0 ? "Choose at least one thing to send." : undefined) : OWNER_ONLY}>
            Add channel
          </Button>
        </div>
      </form>
      <ErrorLine error={err} className="mt-2" />

      <h3 className="mb-1 mt-6 text-xs font-semibold uppercase tracking-wide text-slate-500">Delivery log</h3>
      {deliveries.isPending ? (
        <Spinner />
      ) : deliveries.isError ? (
        <ErrorState error={deliveries.error} onRetry={() => deliveries.refetch()} />
      ) : deliveries.data.items.length === 0 ? (
        <EmptyState title="Nothing sent yet">Messages appear here when something happens that a channel sends, or after a test.</EmptyState>
      ) : (
        <Table testId="delivery-log" label="Delivery log">
          <THead>
            <Th>When</Th>
            <Th>Channel</Th>
            <Th>What</Th>
            <Th>State</Th>
            <Th>Attempt</Th>
          </THead>
          <TBody>
            {deliveries.data.items.map((d) => (
              <tr key={d.id}>
                <Td>
                  <RelativeTime value={d.lastAttemptAt ?? d.createdAt} />
                </Td>
                <Td>{d.channelName}</Td>
                <Td>
                  {OUTBOUND_KIND_LABELS[d.kind as DeliveryKind] ?? d.kind}
                  {d.severity ? ` (${d.severity})` : ""}
                  <span className="block max-w-xs truncate text-xs text-slate-500" title={d.title}>
                    {d.title}
                  </span>
                </Td>
                <Td>{deliveryState(d)}</Td>
                <Td>
                  {d.attempts} of {deliveries.data.maxAttempts}
                  {d.lastStatusCode ? <span className="block text-xs text-slate-500">HTTP {d.lastStatusCode}</span> : null}
                </Td>
              </tr>
            ))}
          </TBody>
        </Table>
      )}
    </Card>
  );
}

/** pending, delivered, retrying at …, failed: reason — in words. */
function deliveryState(d: { status: string; attempts: number; nextAttemptAt: Date | string | null; lastError: string | null }): string {
  if (d.status === "delivered") return "delivered";
  if (d.status === "failed") return `failed: ${d.lastError ?? "unknown error"}`;
  if (d.attempts === 0 || !d.nextAttemptAt) return "pending";
  return `retrying at ${clockTime(d.nextAttemptAt)} (${d.lastError ?? "not delivered"})`;
}
