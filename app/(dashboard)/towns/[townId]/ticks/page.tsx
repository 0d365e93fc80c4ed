import { TicksView } from "@/components/tick/ticks-view";

export const metadata = { title: "Ticks" };

export default async function TicksPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <TicksView townId={townId} />;
}
