import { publicProcedure, router, createCallerFactory } from "./trpc";
import { townRouter } from "./routers/town";
import { rigRouter } from "./routers/rig";
import { beadRouter } from "./routers/bead";

export const appRouter = router({
  health: publicProcedure.query(() => ({ ok: true as const })),
  town: townRouter,
  rig: rigRouter,
  bead: beadRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
