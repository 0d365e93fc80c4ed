import type { ReactNode } from "react";
import { TownNav } from "@/components/town/town-nav";

// A town's pages are the same shell for every town and person (the data comes from tRPC calls): rendered once
// per town on first visit and then served from Next's cache (memory only: next.config.mjs), instead of a
// server render on every visit and on every link prefetch (issue 15).
export const dynamicParams = true;
export async function generateStaticParams(): Promise<{ townId: string }[]> {
  return [];
}

export default async function TownLayout({ children, params }: { children: ReactNode; params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return (
    <div>
      <TownNav townId={townId} />
      {children}
    </div>
  );
}
