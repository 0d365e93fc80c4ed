import { RigsView } from "@/components/rig/rigs-view";

export const metadata = { title: "Rigs" };

export default async function RigsPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <RigsView townId={townId} />;
}
