import { OverviewView } from "@/components/town/overview-view";

export const metadata = { title: "Town" };

export default async function TownPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <OverviewView townId={townId} />;
}
