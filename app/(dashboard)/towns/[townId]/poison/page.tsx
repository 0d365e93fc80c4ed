import { PoisonView } from "@/components/event/poison-view";

export const metadata = { title: "Poison inbox" };

export default async function PoisonPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <PoisonView townId={townId} />;
}
