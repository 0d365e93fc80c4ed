import type { ReactNode } from "react";
import { TownNav } from "@/components/town/town-nav";

export default async function TownLayout({ children, params }: { children: ReactNode; params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return (
    <div>
      <TownNav townId={townId} />
      {children}
    </div>
  );
}
