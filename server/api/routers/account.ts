import { authedProcedure, router } from "../trpc";

// The signed-in person, for the page header (the dashboard's pages are static shells: nothing personal is in
// their HTML).
export const accountRouter = router({
  me: authedProcedure.query(({ ctx }) => ({ id: ctx.user.id, email: ctx.user.email, name: ctx.user.name })),
});
