import { BeadDetailView } from "@/components/bead/bead-detail-view";

export const metadata = { title: "Bead" };

export default async function BeadPage({ params }: { params: Promise<{ townId: string; beadId: string }> }) {
  const { townId, beadId } = await params;
  return <BeadDetailView townId={townId} beadId={beadId} />;
}
