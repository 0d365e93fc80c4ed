-- Issue 16, notifications out: per-town channels and the delivery outbox.
CREATE TABLE "notification_channels" (
    "channel_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "secret" TEXT,
    "kinds" TEXT[],
    "min_severity" TEXT NOT NULL DEFAULT 'high',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_channels_pkey" PRIMARY KEY ("channel_id")
);

CREATE INDEX "notification_channels_town_id_idx" ON "notification_channels"("town_id");
ALTER TABLE "notification_channels" ADD CONSTRAINT "notification_channels_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "notification_deliveries" (
    "delivery_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "channel_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" TEXT,
    "message" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "last_attempt_at" TIMESTAMPTZ(3),
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "notification_deliveries_pkey" PRIMARY KEY ("delivery_id")
);

CREATE INDEX "notification_deliveries_town_id_created_at_idx" ON "notification_deliveries"("town_id", "created_at" DESC);
CREATE INDEX "notification_deliveries_channel_id_idx" ON "notification_deliveries"("channel_id");
-- The delivery pass's claim: only pending rows, by due time (not in schema.prisma: Prisma has no partial indexes).
CREATE INDEX "notification_deliveries_due_idx" ON "notification_deliveries"("next_attempt_at") WHERE "status" = 'pending';
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "notification_channels"("channel_id") ON DELETE CASCADE ON UPDATE CASCADE;
