"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import { Tabs } from "@/components/ui/tabs";
import { LIVE_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";
import { errorMessage } from "@/components/ui/use-error";
import { ErrorLine } from "@/components/ui/error-line";
import { ProgressBar } from "./progress-bar";
import { CursorPager } from "@/components/ui/pager";

type StatusTab = "open" | "closed" | "failed" | "all";

/** Convoys: a list with progress, and a form to create one with its tasks and their dependencies. */
export function ConvoysView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const [tab, setTab] = useState<StatusTab>("open");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const list = useQuery(
    trpc.convoy.list.queryOptions(
      { townId, status: tab === "all" ? undefined : [tab], cursor, limit: 25 },
      { refetchInterval: LIVE_MS, placeholderData: keepPreviousData },
    ),
  );
  return (
    <div className="space-y-6">
      <CreateConvoy townId={townId} />
      <Tabs
        label="Convoy status"
        value={tab}
        onChange={(t) => {
          setTab(t);
          setCursors([null]);
        }}
        options={[
          { value: "open", label: "Open" },
          { value: "closed", label: "Closed" },
          { value: "failed", label: "Failed" },
          { value: "all", label: "All" },
        ]}
      />
      {list.isPending ? (
        <Spinner label="Loading convoys…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No convoys here">A convoy is a batch of related beads that land together on a feature branch. Create one above.</EmptyState>
      ) : (
        <Table testId="convoy-table" label="Convoys">
          <THead>
            <Th>Title</Th>
            <Th>Status</Th>
            <Th>Progress</Th>
            <Th>Merge mode</Th>
            <Th>Staged</Th>
            <Th>Created</Th>
          </THead>
          <TBody>
            {list.data.items.map((c) => (
              <tr key={c.id}>
                <Td>
                  <Link className="font-medium text-indigo-700 hover:underline" href={`/towns/${townId}/convoys/${c.id}`}>
                    {c.title}
                  </Link>
                </Td>
                <Td>
                  <StatusBadge status={c.status} />
                </Td>
                <Td className="min-w-40">
                  <ProgressBar {...c.progress} />
                </Td>
                <Td className="whitespace-nowrap text-slate-600">{c.mergeMode}</Td>
                <Td>{c.staged ? <span className="font-semibold text-amber-700">staged</span> : <span className="text-slate-500">started</span>}</Td>
                <Td className="whitespace-nowrap text-slate-500">
                  <RelativeTime value={c.createdAt} />
                </Td>
              </tr>
            ))}
          </TBody>
        </Table>
      )}
      {list.data ? <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={list.data.nextCursor} /> : null}
    </div>
  );
}

type TaskDraft = { title: string; dependsOn: string };

/** Task numbers in the form are 1-based; the API takes 0-based indices. */
function parseDeps(text: string, index: number, count: number): { deps: number[]; error?: string } {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const deps: number[] = [];
  for (const p of parts) {
    const n = Number(p.replace(/^#/, ""));
    if (!Number.isInteger(n) || n < 1 || n > count) return { deps, error: `Task ${index + 1}: “${p}” is not a task number (1 to ${count}).` };
    if (n === index + 1) return { deps, error: `Task ${index + 1} cannot depend on itself.` };
    deps.push(n - 1);
  }
  return { deps };
}

/** The server names tasks by 0-based index; the form numbers them from 1. */
function oneBased(message: string): string {
  return message
    .replace(/\btasks ([\d, ]+)\)/g, (_, list: string) => `tasks ${list.split(/,\s*/).map((n) => Number(n) + 1).join(", ")})`)
    .replace(/\bTask (\d+)/g, (_, n: string) => `Task ${Number(n) + 1}`);
}

function CreateConvoy({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const refetchFresh = useRefresh();
  const { writeReason } = useTownRole(townId);
  const rigs = useQuery(trpc.rig.list.queryOptions({ townId }));
  const [title, setTitle] = useState("");
  const [rigId, setRigId] = useState("");
  const [mergeMode, setMergeMode] = useState("");
  const [staged, setStaged] = useState("");
  const [tasks, setTasks] = useState<TaskDraft[]>([
    { title: "", dependsOn: "" },
    { title: "", dependsOn: "" },
  ]);
  const [formError, setFormError] = useState<string | null>(null);
  const create = useMutation(
    trpc.convoy.create.mutationOptions({
      onSuccess: async (convoy) => {
        await refetchFresh(trpc.convoy.list.pathKey());
        router.push(`/towns/${townId}/convoys/${convoy.id}`);
      },
    }),
  );
  const effectiveRig = rigId || rigs.data?.[0]?.id || "";

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const parsed = tasks.map((t, i) => parseDeps(t.dependsOn, i, tasks.length));
    const bad = parsed.find((p) => p.error);
    if (bad) return setFormError(bad.error!);
    setFormError(null);
    create.mutate({
      townId,
      title,
      rigId: effectiveRig,
      tasks: tasks.map((t, i) => ({ title: t.title, ...(parsed[i].deps.length ? { dependsOn: parsed[i].deps } : {}) })),
      ...(mergeMode ? { mergeMode: mergeMode as "review-then-land" | "review-and-merge" } : {}),
      ...(staged ? { staged: staged === "staged" } : {}),
    });
  }

  if (rigs.data && rigs.data.length === 0) {
    return (
      <EmptyState title="Add a rig first">
        A convoy&apos;s tasks are work in a rig.{" "}
        <Link className="font-semibold text-indigo-600" href={`/towns/${townId}/rigs`}>
          Add a rig
        </Link>
        .
      </EmptyState>
    );
  }
  const serverError = create.error ? oneBased(errorMessage(create.error)) : null;
  return (
    <Card title="New convoy">
      <form onSubmit={onSubmit} className="space-y-4" aria-label="New convoy">
        <div className="grid gap-3 md:grid-cols-4">
          <div className="md:col-span-2">
            <Field label="Convoy title" htmlFor="convoy-title">
              <Input id="convoy-title" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} disabled={!!writeReason} />
            </Field>
          </div>
          <Field label="Rig" htmlFor="convoy-rig">
            <Select id="convoy-rig" value={effectiveRig} onChange={(e) => setRigId(e.target.value)} disabled={!!writeReason}>
              {(rigs.data ?? []).map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Merge mode" htmlFor="convoy-mode">
            <Select id="convoy-mode" value={mergeMode} onChange={(e) => setMergeMode(e.target.value)} disabled={!!writeReason}>
              <option value="">Default (rig or town setting)</option>
              <option value="review-then-land">review-then-land</option>
              <option value="review-and-merge">review-and-merge</option>
            </Select>
          </Field>
          <Field label="Start" htmlFor="convoy-staged" hint="A staged convoy waits until you start it.">
            <Select id="convoy-staged" value={staged} onChange={(e) => setStaged(e.target.value)} disabled={!!writeReason}>
              <option value="">Town default</option>
              <option value="staged">Staged (start later)</option>
              <option value="now">Start at once</option>
            </Select>
          </Field>
        </div>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-700">Tasks</legend>
          <p className="text-xs text-slate-500">“Depends on” lists task numbers that must finish first, e.g. “1, 2”.</p>
          <ol className="space-y-2" data-testid="convoy-tasks">
            {tasks.map((t, i) => (
              <li key={i} className="grid items-end gap-2 sm:grid-cols-[2rem_1fr_10rem_auto]">
                <span className="pb-2 text-sm font-semibold text-slate-500">#{i + 1}</span>
                <Field label={`Task ${i + 1} title`} htmlFor={`task-${i}-title`}>
                  <Input
                    id={`task-${i}-title`}
                    value={t.title}
                    onChange={(e) => setTasks(tasks.map((x, j) => (j === i ? { ...x, title: e.target.value } : x)))}
                    required
                    maxLength={200}
                    disabled={!!writeReason}
                  />
                </Field>
                <Field label={`Task ${i + 1} depends on`} htmlFor={`task-${i}-deps`}>
                  <Input
                    id={`task-${i}-deps`}
                    value={t.dependsOn}
                    placeholder="e.g. 1"
                    onChange={(e) => setTasks(tasks.map((x, j) => (j === i ? { ...x, dependsOn: e.target.value } : x)))}
                    disabled={!!writeReason}
                  />
                </Field>
                <Button type="button" variant="ghost" size="sm" disabled={tasks.length <= 1 || !!writeReason} onClick={() => setTasks(tasks.filter((_, j) => j !== i))} aria-label={`Remove task ${i + 1}`}>
                  Remove
                </Button>
              </li>
            ))}
          </ol>
          <Button type="button" variant="secondary" size="sm" disabled={tasks.length >= 100 || !!writeReason} onClick={() => setTasks([...tasks, { title: "", dependsOn: "" }])}>
            Add a task
          </Button>
        </fieldset>
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" busy={create.isPending} disabledReason={writeReason}>
            Create convoy
          </Button>
          <ErrorLine error={formError ?? serverError} testId="convoy-error" />
        </div>
      </form>
    </Card>
  );
}
