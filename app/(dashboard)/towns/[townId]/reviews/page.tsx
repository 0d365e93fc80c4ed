import { ReviewsView } from "@/components/review/reviews-view";

export const metadata = { title: "Reviews" };

export default async function ReviewsPage({ params }: { params: Promise<{ townId: string }> }) {
  const { townId } = await params;
  return <ReviewsView townId={townId} />;
}
