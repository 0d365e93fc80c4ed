-- The Mayor conversation: people's messages, the mayor's replies and its actions.
CREATE TABLE "mayor_messages" (
    "message_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "seq" BIGSERIAL NOT NULL,
    "town_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "author_user_id" TEXT,
    "author_name" TEXT,
    "rig_id" TEXT,
    "bead_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mayor_messages_pkey" PRIMARY KEY ("message_id")
);

CREATE INDEX "mayor_messages_town_id_seq_idx" ON "mayor_messages"("town_id", "seq" DESC);

ALTER TABLE "mayor_messages" ADD CONSTRAINT "mayor_messages_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
