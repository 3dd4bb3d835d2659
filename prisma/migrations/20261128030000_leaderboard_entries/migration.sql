-- CreateTable
CREATE TABLE "leaderboard_entries" (
    "certificate_id" UUID NOT NULL,
    "report_id" UUID NOT NULL,
    "profile_id" TEXT NOT NULL,
    "task" TEXT,
    "device_slug" TEXT NOT NULL,
    "device_name" TEXT NOT NULL,
    "manufacturer" TEXT NOT NULL,
    "org_id" UUID NOT NULL,
    "vendor" TEXT NOT NULL,
    "model_name" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "precision" TEXT NOT NULL,
    "execution_provider" TEXT NOT NULL,
    "scenario" TEXT NOT NULL,
    "target_latency_ns" DOUBLE PRECISION NOT NULL,
    "p50_ns" DOUBLE PRECISION NOT NULL,
    "p99_ns" DOUBLE PRECISION NOT NULL,
    "qps" DOUBLE PRECISION NOT NULL,
    "energy_per_inference_mj" DOUBLE PRECISION,
    "accuracy" DOUBLE PRECISION,
    "report_public" BOOLEAN NOT NULL,
    "issued_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "leaderboard_entries_pkey" PRIMARY KEY ("certificate_id")
);

-- CreateIndex
CREATE INDEX "leaderboard_entries_profile_id_idx" ON "leaderboard_entries"("profile_id");

-- CreateIndex
CREATE INDEX "leaderboard_entries_device_slug_idx" ON "leaderboard_entries"("device_slug");

-- CreateIndex
CREATE INDEX "leaderboard_entries_org_id_idx" ON "leaderboard_entries"("org_id");

-- CreateIndex
CREATE INDEX "leaderboard_entries_vendor_idx" ON "leaderboard_entries"("vendor");

-- CreateIndex
CREATE INDEX "leaderboard_entries_precision_idx" ON "leaderboard_entries"("precision");

-- CreateIndex
CREATE INDEX "leaderboard_entries_execution_provider_idx" ON "leaderboard_entries"("execution_provider");

-- CreateIndex
CREATE INDEX "leaderboard_entries_task_idx" ON "leaderboard_entries"("task");

-- AddForeignKey
ALTER TABLE "leaderboard_entries" ADD CONSTRAINT "leaderboard_entries_certificate_id_fkey" FOREIGN KEY ("certificate_id") REFERENCES "certificates"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written: one partial index per sortable metric over the rows a leaderboard can show (not
-- revoked), with the certificate id as tie-breaker for keyset pagination. Filters with few matches use
-- the single-column indexes above and sort the small remainder.
CREATE INDEX "leaderboard_entries_target_latency_idx" ON "leaderboard_entries"("target_latency_ns", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_p50_idx" ON "leaderboard_entries"("p50_ns", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_p99_idx" ON "leaderboard_entries"("p99_ns", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_qps_idx" ON "leaderboard_entries"("qps", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_energy_idx" ON "leaderboard_entries"("energy_per_inference_mj", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_accuracy_idx" ON "leaderboard_entries"("accuracy", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_issued_idx" ON "leaderboard_entries"("issued_at", "certificate_id") WHERE "revoked_at" IS NULL;

-- Certificates issued before this migration join the leaderboard with the same figures the service
-- copies at issuance (src/services/leaderboard/leaderboard.ts, leaderboardEntryFor).
INSERT INTO "leaderboard_entries" (
  "certificate_id", "report_id", "profile_id", "task", "device_slug", "device_name", "manufacturer", "org_id", "vendor",
  "model_name", "model_version", "precision", "execution_provider", "scenario", "target_latency_ns", "p50_ns", "p99_ns", "qps",
  "energy_per_inference_mj", "accuracy", "report_public", "issued_at", "expires_at", "revoked_at")
SELECT c."id", r."id", c."profile_id", m."task", d."slug", d."name", d."manufacturer", o."id", o."name",
  m."name", m."version", COALESCE(lower(m."signature"->'inputs'->0->>'elementType'), 'unknown'),
  COALESCE(r."environment"->'runtime'->>'executionProvider', d."execution_provider"), r."summary"->>'scenario',
  (r."summary"->>'targetLatencyNs')::float8, (r."summary"->'latency'->>'p50Ns')::float8, (r."summary"->'latency'->>'p99Ns')::float8,
  (r."summary"->>'qps')::float8,
  CASE WHEN r."summary"->'power'->>'measured' = 'true' AND (r."summary"->>'sampleCount')::float8 > 0
       THEN (r."summary"->'power'->>'energyJ')::float8 * 1000 / (r."summary"->>'sampleCount')::float8 END,
  NULL, r."visibility" = 'PUBLIC', c."issued_at", c."expires_at", c."revoked_at"
FROM "certificates" c
JOIN "reports" r ON r."id" = c."report_id"
JOIN "jobs" j ON j."id" = r."job_id"
JOIN "devices" d ON d."id" = j."device_id"
JOIN "models" m ON m."id" = j."model_id"
JOIN "organizations" o ON o."id" = r."org_id"
WHERE r."summary" ? 'targetLatencyNs';
