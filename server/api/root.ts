import { publicProcedure, router, createCallerFactory } from "./trpc";
import { townRouter } from "./routers/town";
import { rigRouter } from "./routers/rig";
import { beadRouter } from "./routers/bead";
import { eventRouter } from "./routers/event";
import { tickRouter } from "./routers/tick";
import { reviewRouter } from "./routers/review";
import { agentRouter } from "./routers/agent";
import { convoyRouter } from "./routers/convoy";
import { escalationRouter } from "./routers/escalation";
import { settingsRouter } from "./routers/settings";
import { notificationRouter } from "./routers/notification";
import { mayorRouter } from "./routers/mayor";
import { webhooksRouter } from "./routers/webhooks";
import { channelsRouter } from "./routers/channels";
import { accountRouter } from "./routers/account";

export const appRouter = router({
  health: publicProcedure.query(() => ({ ok: true as const })),
  account: accountRouter,
  town: townRouter,
  rig: rigRouter,
  bead: beadRouter,
  event: eventRouter,
  tick: tickRouter,
  review: reviewRouter,
  agent: agentRouter,
  convoy: convoyRouter,
  escalation: escalationRouter,
  settings: settingsRouter,
  notification: notificationRouter,
  mayor: mayorRouter,
  webhooks: webhooksRouter,
  channels: channelsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
