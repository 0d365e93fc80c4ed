-- AlterTable
ALTER TABLE "towns" ADD COLUMN     "breaker_open" BOOLEAN NOT NULL DEFAULT false,
ALTER COLUMN "tick_lease_until" SET DEFAULT 'epoch'::timestamptz;
