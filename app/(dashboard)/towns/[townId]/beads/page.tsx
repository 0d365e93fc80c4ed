import { Suspense } from "react";
import { BeadsView } from "@/components/bead/beads-view";

export const metadata = { title: "Beads" };

export default async function BeadsPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return (
    <Suspense>
      <BeadsView townId={townId} />
    </Suspense>
  );
}
