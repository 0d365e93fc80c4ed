import { ConvoysView } from "@/components/convoy/convoys-view";

export const metadata = { title: "Convoys" };

export default async function ConvoysPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <ConvoysView townId={townId} />;
}
