// How often each page polls (TanStack Query `refetchInterval`). Pages where seconds matter (the overview,
// the review queue with its auto-merge countdown, the poison inbox) poll fast; lists that change slowly
// poll slower. TanStack Query pauses interval refetching while the tab is hidden
// (`refetchIntervalInBackground` defaults to false and we never turn it on), so a background tab costs
// the server nothing; focusing the tab refetches at once (`refetchOnWindowFocus`).
export const LIVE_FAST_MS = 3_000;
export const LIVE_MS = 5_000;
export const LIVE_SLOW_MS = 15_000;
