"use client";

import Link from "next/link";
import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import { LIVE_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";
import { ErrorLine } from "@/components/ui/error-line";

/** The town's agents (SPEC.md §4.1), optionally one rig's: role, status, hook, heartbeat, attempts; stop,
 *  reset, and the bounded tail of a local agent's log (members only: a log can echo what the agent saw). */
export function AgentsView({ townId, rigId }: { townId: string; rigId?: string }) {
  const trpc = useTRPC();
  const agents = useQuery(trpc.agent.list.queryOptions({ townId, rigId }, { refetchInterval: LIVE_MS }));
  const [logOf, setLogOf] = useState<string | null>(null);
  if (agents.isPending) return <Spinner label="Loading agents…" />;
  if (agents.isError) return <ErrorState error={agents.error} onRetry={() => agents.refetch()} />;
  if (agents.data.length === 0) {
    return <EmptyState title="No agents yet">Agents are created when work is dispatched: a polecat per bead, a refinery per rig for reviews.</EmptyState>;
  }
  return (
    <div className="space-y-4">
      <Table testId="agent-table" label="Agents">
        <THead>
          <Th>Name</Th>
          <Th>Role</Th>
          <Th>Status</Th>
          <Th>Hook</Th>
          <Th>Last heartbeat</Th>
          <Th>Attempts</Th>
          {rigId ? null : <Th>Rig</Th>}
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </THead>
        <TBody>
          {agents.data.map((a) => (
            <AgentRow key={a.id} townId={townId} agent={a} showRig={!rigId} logOpen={logOf === a.id} onToggleLog={() => setLogOf(logOf === a.id ? null : a.id)} />
          ))}
        </TBody>
      </Table>
      {logOf ? <AgentLog townId={townId} agentId={logOf} name={agents.data.find((a) => a.id === logOf)?.name ?? ""} onClose={() => setLogOf(null)} /> : null}
    </div>
  );
}

type AgentView = {
  id: string;
  name: string;
  role: string;
  status: string;
  rigName: string | null;
  hook: { id: string; title: string; status: string } | null;
  lastActivityAt: Date | null;
  lastEventType: string | null;
  statusMessage: string | null;
  dispatchAttempts: number;
  runtimeName: string | null;
  hasLog: boolean;
};

function AgentRow({ townId, agent: a, showRig, logOpen, onToggleLog }: { townId: string; agent: AgentView; showRig: boolean; logOpen: boolean; onToggleLog: () => void }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const { writeReason } = useTownRole(townId);
  const refresh = () => refetchFresh(trpc.agent.list.pathKey());
  const stop = useMutation(trpc.agent.stop.mutationOptions({ onSuccess: refresh }));
  const reset = useMutation(trpc.agent.reset.mutationOptions({ onSuccess: refresh }));
  const error = stop.error ?? reset.error;
  const running = a.status === "working" || a.status === "stalled" || a.status === "waiting";
  return (
    <tr data-testid="agent-row" data-agent={a.name}>
      <Td className="font-medium">
        {a.name}
        {a.statusMessage ? <p className="max-w-xs truncate text-xs font-normal text-slate-500">{a.statusMessage}</p> : null}
      </Td>
      <Td className="text-slate-600">{a.role}</Td>
      <Td>
        <StatusBadge status={a.status} />
      </Td>
      <Td>
        {a.hook ? (
          <span className="flex items-center gap-1.5">
            <Link className="max-w-48 truncate text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${a.hook.id}`}>
              {a.hook.title}
            </Link>
            <StatusBadge status={a.hook.status} />
          </span>
        ) : (
          <span className="text-slate-400">—</span>
        )}
      </Td>
      <Td className="whitespace-nowrap text-slate-600">
        <RelativeTime value={a.lastActivityAt} />
        {a.lastEventType ? <p className="font-mono text-[11px] text-slate-400">{a.lastEventType}</p> : null}
      </Td>
      <Td>{a.dispatchAttempts}</Td>
      {showRig ? <Td className="text-slate-600">{a.rigName ?? "town"}</Td> : null}
      <Td className="whitespace-nowrap text-right">
        <span className="inline-flex gap-1.5">
          <Button
            size="sm"
            variant="ghost"
            aria-expanded={logOpen}
            disabledReason={writeReason ?? (!a.hasLog ? "This agent keeps no local log (it has not run on the local runtime)." : undefined)}
            onClick={onToggleLog}
          >
            Log
          </Button>
          <Button size="sm" variant="secondary" busy={stop.isPending} disabledReason={writeReason ?? (!running ? `Nothing to stop: the agent is ${a.status}.` : undefined)} onClick={() => stop.mutate({ townId, agentId: a.id })}>
            Stop
          </Button>
          <Button
            size="sm"
            variant="secondary"
            busy={reset.isPending}
            disabledReason={writeReason}
            onClick={() => {
              if (confirm(`Reset ${a.name}? Its hooked bead is reopened and its dispatch counter zeroed.`)) reset.mutate({ townId, agentId: a.id });
            }}
          >
            Reset
          </Button>
        </span>
        <ErrorLine error={error} size="xs" className="mt-1 max-w-xs whitespace-normal text-left" />
      </Td>
    </tr>
  );
}

function AgentLog({ townId, agentId, name, onClose }: { townId: string; agentId: string; name: string; onClose: () => void }) {
  const trpc = useTRPC();
  const log = useQuery(trpc.agent.log.queryOptions({ townId, agentId, maxBytes: 16 * 1024 }, { refetchInterval: LIVE_MS }));
  return (
    <section className="rounded-lg bg-white shadow-sm ring-1 ring-slate-200" data-testid="agent-log">
      <header className="flex items-center justify-between border-b border-slate-100 px-4 py-2">
        <h2 className="text-sm font-semibold">Log of {name} (last 16 KiB)</h2>
        <Button size="sm" variant="ghost" onClick={onClose}>
          Close
        </Button>
      </header>
      <div className="p-4">
        {log.isPending ? (
          <Spinner label="Reading the log…" />
        ) : log.isError ? (
          <ErrorState error={log.error} />
        ) : log.data.log === "" ? (
          <p className="text-sm text-slate-500">The log is empty.</p>
        ) : (
          <pre className="max-h-96 overflow-auto whitespace-pre-wrap rounded bg-slate-900 p-3 font-mono text-xs text-slate-100">{log.data.log}</pre>
        )}
      </div>
    </section>
  );
}
