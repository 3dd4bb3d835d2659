-- The leaderboard ranks within one workload only (docs/dashboard.md): each row names what it measured.
-- Rows already there get the workload of a model no suite lists: the certified model's own digest.
ALTER TABLE "leaderboard_entries" ADD COLUMN "workload" TEXT;
ALTER TABLE "leaderboard_entries" ADD COLUMN "workload_label" TEXT;

UPDATE "leaderboard_entries" e
SET "workload" = 'model:sha256:' || m."artifact_digest",
    "workload_label" = 'Unlisted model sha256:' || left(m."artifact_digest", 12)
FROM "reports" r
JOIN "jobs" j ON j."id" = r."job_id"
JOIN "models" m ON m."id" = j."model_id"
WHERE r."id" = e."report_id";

ALTER TABLE "leaderboard_entries" ALTER COLUMN "workload" SET NOT NULL;
ALTER TABLE "leaderboard_entries" ALTER COLUMN "workload_label" SET NOT NULL;

-- CreateIndex
CREATE INDEX "leaderboard_entries_workload_idx" ON "leaderboard_entries"("workload");
