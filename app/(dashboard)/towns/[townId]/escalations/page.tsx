import { EscalationsView } from "@/components/escalation/escalations-view";

export const metadata = { title: "Escalations" };

export default async function EscalationsPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <EscalationsView townId={townId} />;
}
