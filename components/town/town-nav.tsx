"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { LIVE_SLOW_MS } from "@/components/ui/live";

const TABS = [
  { href: "", label: "Overview" },
  { href: "/mayor", label: "Mayor" },
  { href: "/beads", label: "Beads" },
  { href: "/rigs", label: "Rigs" },
  { href: "/agents", label: "Agents" },
  { href: "/reviews", label: "Reviews" },
  { href: "/convoys", label: "Convoys" },
  { href: "/escalations", label: "Escalations" },
  { href: "/events", label: "Events" },
  { href: "/poison", label: "Poison inbox" },
  { href: "/ticks", label: "Ticks" },
  { href: "/settings", label: "Settings" },
];

/** The town's title and section tabs. The tabs wrap onto a second line on a phone rather than hiding. */
export function TownNav({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const pathname = usePathname();
  const town = useQuery(trpc.town.get.queryOptions({ townId }, { refetchInterval: LIVE_SLOW_MS }));
  const base = `/towns/${townId}`;
  const poisoned = town.data?.poisonedCount ?? 0;
  return (
    <div className="mb-6 border-b border-slate-200 pb-2">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold" data-testid="town-name">
          {town.data?.name ?? (town.isError ? "Town" : "…")}
        </h1>
        {town.data?.role === "viewer" ? (
          <span className="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-600" data-testid="viewer-note">
            You can view this town; changes are disabled.
          </span>
        ) : null}
      </div>
      <nav className="mt-3 flex flex-wrap gap-x-1 gap-y-1" aria-label="Town sections">
        {TABS.map((tab) => {
          const href = base + tab.href;
          const active = tab.href === "" ? pathname === base : pathname.startsWith(href);
          return (
            <Link
              key={tab.label}
              href={href}
              aria-current={active ? "page" : undefined}
              className={`inline-flex items-center whitespace-nowrap rounded-md px-2.5 py-1.5 text-sm font-medium ${
                active ? "bg-indigo-50 text-indigo-700" : "text-slate-600 hover:bg-slate-100 hover:text-slate-900"
              }`}
            >
              {tab.label}
              {tab.href === "/poison" && poisoned > 0 ? (
                <span className="ml-1.5 rounded-full bg-red-600 px-1.5 text-[11px] font-bold text-white" title={`${poisoned} poisoned events need a look`} data-testid="nav-poison-badge">
                  {poisoned}
                </span>
              ) : null}
            </Link>
          );
        })}
      </nav>
    </div>
  );
}
