import { MayorView } from "@/components/mayor/mayor-view";

export const metadata = { title: "Mayor" };

export default async function MayorPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <MayorView townId={townId} />;
}
