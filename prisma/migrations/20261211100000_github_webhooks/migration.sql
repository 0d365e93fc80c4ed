-- Issue 16: GitHub webhooks. A secret per town, and the verified deliveries (deduplicated by delivery id).
CREATE TABLE "github_webhooks" (
    "town_id" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by_user_id" TEXT,

    CONSTRAINT "github_webhooks_pkey" PRIMARY KEY ("town_id")
);

ALTER TABLE "github_webhooks" ADD CONSTRAINT "github_webhooks_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "github_webhook_deliveries" (
    "id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "action" TEXT,
    "repo" TEXT,
    "pr_numbers" INTEGER[],
    "rig_ids" TEXT[],
    "poll_mr_ids" TEXT[],
    "result" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "events_enqueued" INTEGER NOT NULL DEFAULT 0,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "github_webhook_deliveries_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "github_webhook_deliveries_town_id_delivery_id_key" ON "github_webhook_deliveries"("town_id", "delivery_id");
CREATE INDEX "github_webhook_deliveries_town_id_received_at_idx" ON "github_webhook_deliveries"("town_id", "received_at");

ALTER TABLE "github_webhook_deliveries" ADD CONSTRAINT "github_webhook_deliveries_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
