"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";

const TABS = [
  { href: "", label: "Overview" },
  { href: "/beads", label: "Beads" },
  { href: "/rigs", label: "Rigs" },
  { href: "/settings", label: "Settings" },
];

export function TownNav({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const pathname = usePathname();
  const town = useQuery(trpc.town.get.queryOptions({ townId }, { refetchInterval: 10_000 }));
  const base = `/towns/${townId}`;
  return (
    <div className="mb-6 border-b border-slate-200">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold" data-testid="town-name">
          {town.data?.name ?? (town.isError ? "Town" : "…")}
        </h1>
        {town.data?.role === "viewer" ? <span className="text-xs text-slate-500">You can view this town; changes are disabled.</span> : null}
      </div>
      <nav className="-mb-px mt-3 flex gap-4 overflow-x-auto" aria-label="Town sections">
        {TABS.map((tab) => {
          const href = base + tab.href;
          const active = tab.href === "" ? pathname === base : pathname.startsWith(href);
          return (
            <Link
              key={tab.label}
              href={href}
              aria-current={active ? "page" : undefined}
              className={`whitespace-nowrap border-b-2 px-1 pb-2 text-sm font-medium ${active ? "border-indigo-600 text-indigo-700" : "border-transparent text-slate-500 hover:text-slate-800"}`}
            >
              {tab.label}
              {tab.label === "Overview" && town.data?.poisonedCount ? (
                <span className="ml-1.5 rounded-full bg-red-600 px-1.5 text-[11px] font-bold text-white" title="Poisoned events need a look">
                  {town.data.poisonedCount}
                </span>
              ) : null}
            </Link>
          );
        })}
      </nav>
    </div>
  );
}
