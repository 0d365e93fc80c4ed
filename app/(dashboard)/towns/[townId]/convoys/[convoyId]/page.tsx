import { ConvoyDetailView } from "@/components/convoy/convoy-detail-view";

export const metadata = { title: "Convoy" };

export default async function ConvoyPage({ params }: { params: Promise<{ townId: string; convoyId: string }> }) {
  const { townId, convoyId } = await params;
  return <ConvoyDetailView townId={townId} convoyId={convoyId} />;
}
