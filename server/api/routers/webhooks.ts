import { z } from "zod";
import { router, townOwnerProcedure, townProcedure, TownIdSchema } from "../trpc";
import { getWebhookSettings, rotateWebhookSecret } from "../../services/github-webhooks";

// GitHub webhooks (issue 16): every member sees where to point GitHub and the last delivery (the secret
// masked); only owners generate or rotate the secret, which is returned in full that one time.

const TownRef = z.strictObject({ townId: TownIdSchema });

export const webhooksRouter = router({
  get: townProcedure.input(TownRef).query(({ ctx }) => getWebhookSettings(ctx.db, ctx.town.id)),

  rotateSecret: townOwnerProcedure.input(TownRef).mutation(({ ctx }) => rotateWebhookSecret(ctx.db, ctx.town.id, ctx.user.id)),
});
