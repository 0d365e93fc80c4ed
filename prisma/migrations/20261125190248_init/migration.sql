-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "email_verified" BOOLEAN NOT NULL DEFAULT false,
    "image" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "token" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "ip_address" TEXT,
    "user_agent" TEXT,
    "user_id" TEXT NOT NULL,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "accounts" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "access_token" TEXT,
    "refresh_token" TEXT,
    "id_token" TEXT,
    "access_token_expires_at" TIMESTAMPTZ(3),
    "refresh_token_expires_at" TIMESTAMPTZ(3),
    "scope" TEXT,
    "password" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "verifications" (
    "id" TEXT NOT NULL,
    "identifier" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "verifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "towns" (
    "id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "name" TEXT NOT NULL,
    "owner_user_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "tick_lease_owner" TEXT,
    "tick_lease_until" TIMESTAMPTZ(3) NOT NULL DEFAULT 'epoch'::timestamptz,
    "next_tick_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_tick_at" TIMESTAMPTZ(3),
    "has_active_work" BOOLEAN NOT NULL DEFAULT false,
    "last_metrics" JSONB,

    CONSTRAINT "towns_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "town_members" (
    "town_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "town_members_pkey" PRIMARY KEY ("town_id","user_id")
);

-- CreateTable
CREATE TABLE "town_settings" (
    "town_id" TEXT NOT NULL,
    "config" JSONB NOT NULL DEFAULT '{}',
    "version" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "town_settings_pkey" PRIMARY KEY ("town_id")
);

-- CreateTable
CREATE TABLE "rigs" (
    "id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "git_url" TEXT NOT NULL DEFAULT '',
    "default_branch" TEXT NOT NULL DEFAULT 'main',
    "config" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rigs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "beads" (
    "bead_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "title" TEXT NOT NULL,
    "body" TEXT,
    "rig_id" TEXT,
    "parent_bead_id" TEXT,
    "assignee_agent_bead_id" TEXT,
    "priority" TEXT NOT NULL DEFAULT 'medium',
    "labels" JSONB NOT NULL DEFAULT '[]',
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "dispatch_attempts" INTEGER NOT NULL DEFAULT 0,
    "last_dispatch_attempt_at" TIMESTAMPTZ(3),
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMPTZ(3),

    CONSTRAINT "beads_pkey" PRIMARY KEY ("bead_id")
);

-- CreateTable
CREATE TABLE "agent_metadata" (
    "bead_id" TEXT NOT NULL,
    "town_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "identity" TEXT NOT NULL,
    "container_process_id" TEXT,
    "status" TEXT NOT NULL DEFAULT 'idle',
    "current_hook_bead_id" TEXT,
    "dispatch_attempts" INTEGER NOT NULL DEFAULT 0,
    "checkpoint" JSONB,
    "last_activity_at" TIMESTAMPTZ(3),
    "agent_status_message" TEXT,
    "agent_status_updated_at" TIMESTAMPTZ(3),
    "last_event_type" TEXT,
    "last_event_at" TIMESTAMPTZ(3),
    "active_tools" JSONB NOT NULL DEFAULT '[]',
    "stalled_at" TIMESTAMPTZ(3),
    "dispatched_at" TIMESTAMPTZ(3),
    "runtime_name" TEXT,
    "pid" INTEGER,
    "log_path" TEXT,

    CONSTRAINT "agent_metadata_pkey" PRIMARY KEY ("bead_id")
);

-- CreateTable
CREATE TABLE "review_metadata" (
    "bead_id" TEXT NOT NULL,
    "town_id" TEXT NOT NULL,
    "branch" TEXT NOT NULL,
    "target_branch" TEXT NOT NULL DEFAULT 'main',
    "merge_commit" TEXT,
    "pr_url" TEXT,
    "retry_count" INTEGER NOT NULL DEFAULT 0,
    "auto_merge_ready_since" TIMESTAMPTZ(3),
    "last_feedback_check_at" TIMESTAMPTZ(3),

    CONSTRAINT "review_metadata_pkey" PRIMARY KEY ("bead_id")
);

-- CreateTable
CREATE TABLE "convoy_metadata" (
    "bead_id" TEXT NOT NULL,
    "town_id" TEXT NOT NULL,
    "total_beads" INTEGER NOT NULL DEFAULT 0,
    "closed_beads" INTEGER NOT NULL DEFAULT 0,
    "landed_at" TIMESTAMPTZ(3),
    "feature_branch" TEXT,
    "merge_mode" TEXT,
    "staged" BOOLEAN NOT NULL DEFAULT false,
    "ready_to_land" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "convoy_metadata_pkey" PRIMARY KEY ("bead_id")
);

-- CreateTable
CREATE TABLE "escalation_metadata" (
    "bead_id" TEXT NOT NULL,
    "town_id" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "category" TEXT,
    "acknowledged" BOOLEAN NOT NULL DEFAULT false,
    "re_escalation_count" INTEGER NOT NULL DEFAULT 0,
    "acknowledged_at" TIMESTAMPTZ(3),

    CONSTRAINT "escalation_metadata_pkey" PRIMARY KEY ("bead_id")
);

-- CreateTable
CREATE TABLE "bead_dependencies" (
    "town_id" TEXT NOT NULL,
    "bead_id" TEXT NOT NULL,
    "depends_on_bead_id" TEXT NOT NULL,
    "dependency_type" TEXT NOT NULL DEFAULT 'blocks',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bead_dependencies_pkey" PRIMARY KEY ("bead_id","depends_on_bead_id")
);

-- CreateTable
CREATE TABLE "bead_events" (
    "bead_event_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "bead_id" TEXT NOT NULL,
    "agent_id" TEXT,
    "actor_user_id" TEXT,
    "event_type" TEXT NOT NULL,
    "old_value" TEXT,
    "new_value" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bead_events_pkey" PRIMARY KEY ("bead_event_id")
);

-- CreateTable
CREATE TABLE "town_events" (
    "event_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "seq" BIGSERIAL NOT NULL,
    "town_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "agent_id" TEXT,
    "bead_id" TEXT,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),
    "retry_count" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "poisoned_at" TIMESTAMPTZ(3),
    "poison_reason" TEXT,
    "discarded_at" TIMESTAMPTZ(3),
    "discarded_by" TEXT,
    "discard_note" TEXT,
    "requeued_at" TIMESTAMPTZ(3),
    "requeued_by" TEXT,
    "requeue_count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "town_events_pkey" PRIMARY KEY ("event_id")
);

-- CreateTable
CREATE TABLE "agent_nudges" (
    "nudge_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "agent_bead_id" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "mode" TEXT NOT NULL DEFAULT 'wait-idle',
    "priority" TEXT NOT NULL DEFAULT 'normal',
    "source" TEXT NOT NULL DEFAULT 'system',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),

    CONSTRAINT "agent_nudges_pkey" PRIMARY KEY ("nudge_id")
);

-- CreateTable
CREATE TABLE "ticks" (
    "tick_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3) NOT NULL,
    "wall_clock_ms" INTEGER NOT NULL,
    "events_drained" INTEGER NOT NULL DEFAULT 0,
    "events_poisoned" INTEGER NOT NULL DEFAULT 0,
    "actions_emitted" INTEGER NOT NULL DEFAULT 0,
    "actions_by_type" JSONB NOT NULL DEFAULT '{}',
    "actions" JSONB NOT NULL DEFAULT '[]',
    "side_effects_attempted" INTEGER NOT NULL DEFAULT 0,
    "side_effects_succeeded" INTEGER NOT NULL DEFAULT 0,
    "side_effects_failed" INTEGER NOT NULL DEFAULT 0,
    "side_effect_outcomes" JSONB NOT NULL DEFAULT '[]',
    "invariant_violations" INTEGER NOT NULL DEFAULT 0,
    "violations" JSONB NOT NULL DEFAULT '[]',
    "pending_event_count" INTEGER NOT NULL DEFAULT 0,
    "breaker_open" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "ticks_pkey" PRIMARY KEY ("tick_id")
);

-- CreateTable
CREATE TABLE "agent_tokens" (
    "token_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "agent_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "agent_tokens_pkey" PRIMARY KEY ("token_id")
);

-- CreateTable
CREATE TABLE "notifications" (
    "notification_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "bead_id" TEXT,
    "event_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "read_at" TIMESTAMPTZ(3),

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("notification_id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "audit_id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "town_id" TEXT NOT NULL,
    "actor_user_id" TEXT,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("audit_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "sessions_token_key" ON "sessions"("token");

-- CreateIndex
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");

-- CreateIndex
CREATE INDEX "accounts_user_id_idx" ON "accounts"("user_id");

-- CreateIndex
CREATE INDEX "verifications_identifier_idx" ON "verifications"("identifier");

-- CreateIndex
CREATE INDEX "towns_next_tick_at_idx" ON "towns"("next_tick_at");

-- CreateIndex
CREATE INDEX "towns_owner_user_id_idx" ON "towns"("owner_user_id");

-- CreateIndex
CREATE INDEX "town_members_user_id_idx" ON "town_members"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "rigs_town_id_name_key" ON "rigs"("town_id", "name");

-- CreateIndex
CREATE INDEX "beads_town_id_type_status_idx" ON "beads"("town_id", "type", "status");

-- CreateIndex
CREATE INDEX "beads_town_id_status_created_at_bead_id_idx" ON "beads"("town_id", "status", "created_at" DESC, "bead_id");

-- CreateIndex
CREATE INDEX "beads_town_id_created_at_bead_id_idx" ON "beads"("town_id", "created_at" DESC, "bead_id");

-- CreateIndex
CREATE INDEX "beads_parent_bead_id_idx" ON "beads"("parent_bead_id");

-- CreateIndex
CREATE INDEX "beads_rig_id_status_idx" ON "beads"("rig_id", "status");

-- CreateIndex
CREATE INDEX "beads_town_id_assignee_agent_bead_id_type_status_idx" ON "beads"("town_id", "assignee_agent_bead_id", "type", "status");

-- CreateIndex
CREATE INDEX "beads_labels_idx" ON "beads" USING GIN ("labels" jsonb_path_ops);

-- CreateIndex
CREATE UNIQUE INDEX "agent_metadata_identity_key" ON "agent_metadata"("identity");

-- CreateIndex
CREATE INDEX "agent_metadata_town_id_status_idx" ON "agent_metadata"("town_id", "status");

-- CreateIndex
CREATE INDEX "agent_metadata_current_hook_bead_id_idx" ON "agent_metadata"("current_hook_bead_id");

-- CreateIndex
CREATE INDEX "review_metadata_town_id_idx" ON "review_metadata"("town_id");

-- CreateIndex
CREATE INDEX "convoy_metadata_town_id_idx" ON "convoy_metadata"("town_id");

-- CreateIndex
CREATE INDEX "escalation_metadata_town_id_acknowledged_idx" ON "escalation_metadata"("town_id", "acknowledged");

-- CreateIndex
CREATE INDEX "bead_dependencies_depends_on_bead_id_dependency_type_idx" ON "bead_dependencies"("depends_on_bead_id", "dependency_type");

-- CreateIndex
CREATE INDEX "bead_dependencies_town_id_idx" ON "bead_dependencies"("town_id");

-- CreateIndex
CREATE INDEX "bead_events_bead_id_created_at_idx" ON "bead_events"("bead_id", "created_at");

-- CreateIndex
CREATE INDEX "bead_events_town_id_created_at_idx" ON "bead_events"("town_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "town_events_seq_key" ON "town_events"("seq");

-- CreateIndex
CREATE INDEX "town_events_town_id_processed_at_poisoned_at_discarded_at_s_idx" ON "town_events"("town_id", "processed_at", "poisoned_at", "discarded_at", "seq");

-- CreateIndex
CREATE INDEX "town_events_town_id_event_type_idx" ON "town_events"("town_id", "event_type");

-- CreateIndex
CREATE INDEX "town_events_town_id_created_at_idx" ON "town_events"("town_id", "created_at");

-- CreateIndex
CREATE INDEX "agent_nudges_agent_bead_id_delivered_at_idx" ON "agent_nudges"("agent_bead_id", "delivered_at");

-- CreateIndex
CREATE INDEX "agent_nudges_town_id_delivered_at_idx" ON "agent_nudges"("town_id", "delivered_at");

-- CreateIndex
CREATE INDEX "ticks_town_id_started_at_idx" ON "ticks"("town_id", "started_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "agent_tokens_token_hash_key" ON "agent_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "agent_tokens_agent_id_idx" ON "agent_tokens"("agent_id");

-- CreateIndex
CREATE INDEX "notifications_town_id_created_at_idx" ON "notifications"("town_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "audit_log_town_id_created_at_idx" ON "audit_log"("town_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "towns" ADD CONSTRAINT "towns_owner_user_id_fkey" FOREIGN KEY ("owner_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "town_members" ADD CONSTRAINT "town_members_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "town_members" ADD CONSTRAINT "town_members_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "town_settings" ADD CONSTRAINT "town_settings_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rigs" ADD CONSTRAINT "rigs_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "beads" ADD CONSTRAINT "beads_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "beads" ADD CONSTRAINT "beads_rig_id_fkey" FOREIGN KEY ("rig_id") REFERENCES "rigs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "beads" ADD CONSTRAINT "beads_parent_bead_id_fkey" FOREIGN KEY ("parent_bead_id") REFERENCES "beads"("bead_id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_metadata" ADD CONSTRAINT "agent_metadata_bead_id_fkey" FOREIGN KEY ("bead_id") REFERENCES "beads"("bead_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_metadata" ADD CONSTRAINT "agent_metadata_current_hook_bead_id_fkey" FOREIGN KEY ("current_hook_bead_id") REFERENCES "beads"("bead_id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review_metadata" ADD CONSTRAINT "review_metadata_bead_id_fkey" FOREIGN KEY ("bead_id") REFERENCES "beads"("bead_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "convoy_metadata" ADD CONSTRAINT "convoy_metadata_bead_id_fkey" FOREIGN KEY ("bead_id") REFERENCES "beads"("bead_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "escalation_metadata" ADD CONSTRAINT "escalation_metadata_bead_id_fkey" FOREIGN KEY ("bead_id") REFERENCES "beads"("bead_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bead_dependencies" ADD CONSTRAINT "bead_dependencies_bead_id_fkey" FOREIGN KEY ("bead_id") REFERENCES "beads"("bead_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bead_dependencies" ADD CONSTRAINT "bead_dependencies_depends_on_bead_id_fkey" FOREIGN KEY ("depends_on_bead_id") REFERENCES "beads"("bead_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bead_events" ADD CONSTRAINT "bead_events_bead_id_fkey" FOREIGN KEY ("bead_id") REFERENCES "beads"("bead_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "town_events" ADD CONSTRAINT "town_events_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_nudges" ADD CONSTRAINT "agent_nudges_agent_bead_id_fkey" FOREIGN KEY ("agent_bead_id") REFERENCES "agent_metadata"("bead_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ticks" ADD CONSTRAINT "ticks_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_tokens" ADD CONSTRAINT "agent_tokens_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agent_metadata"("bead_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_town_id_fkey" FOREIGN KEY ("town_id") REFERENCES "towns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
