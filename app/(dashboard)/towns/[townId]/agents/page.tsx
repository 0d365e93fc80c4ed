import { AgentsView } from "@/components/agent/agents-view";

export const metadata = { title: "Agents" };

export default async function AgentsPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <AgentsView townId={townId} />;
}
