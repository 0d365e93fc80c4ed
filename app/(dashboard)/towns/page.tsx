import { TownsView } from "@/components/town/towns-view";

export const metadata = { title: "Towns" };

export default function TownsPage() {
  return <TownsView />;
}
