-- Issue 13: sign-up by invitation, and better-auth's rate limiter kept in the database (shared by instances).
CREATE TABLE "invites" (
    "invite_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "invited_by_user_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invites_pkey" PRIMARY KEY ("invite_id")
);

CREATE UNIQUE INDEX "invites_town_id_email_key" ON "invites"("town_id", "email");
CREATE INDEX "invites_email_idx" ON "invites"("email");

ALTER TABLE "invites" ADD CONSTRAINT "invites_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "invites" ADD CONSTRAINT "invites_invited_by_user_id_fkey" FOREIGN KEY ("invited_by_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "rate_limits" (
    "id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "last_request" BIGINT NOT NULL,

    CONSTRAINT "rate_limits_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "rate_limits_key_key" ON "rate_limits"("key");
