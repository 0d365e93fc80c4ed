import { SettingsView } from "@/components/town/settings-view";

export const metadata = { title: "Settings" };

export default async function SettingsPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <SettingsView townId={townId} />;
}
