import { RigDetailView } from "@/components/rig/rig-detail-view";

export const metadata = { title: "Rig" };

export default async function RigPage({ params }: { params: Promise<{ townId: string; rigId: string }> }) {
  const { townId, rigId } = await params;
  return <RigDetailView townId={townId} rigId={rigId} />;
}
