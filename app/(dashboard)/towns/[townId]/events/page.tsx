import { EventsView } from "@/components/event/events-view";

export const metadata = { title: "Events" };

export default async function EventsPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <EventsView townId={townId} />;
}
