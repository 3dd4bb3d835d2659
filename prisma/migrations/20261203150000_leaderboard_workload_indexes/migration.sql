-- Every ranking query now names one workload (docs/dashboard.md): the per-metric keyset indexes lead
-- with it, so a page walks only its workload's rows in metric order.
DROP INDEX "leaderboard_entries_target_latency_idx";
DROP INDEX "leaderboard_entries_p50_idx";
DROP INDEX "leaderboard_entries_p99_idx";
DROP INDEX "leaderboard_entries_qps_idx";
DROP INDEX "leaderboard_entries_energy_idx";
DROP INDEX "leaderboard_entries_accuracy_idx";
DROP INDEX "leaderboard_entries_issued_idx";
CREATE INDEX "leaderboard_entries_target_latency_idx" ON "leaderboard_entries"("workload", "target_latency_ns", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_p50_idx" ON "leaderboard_entries"("workload", "p50_ns", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_p99_idx" ON "leaderboard_entries"("workload", "p99_ns", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_qps_idx" ON "leaderboard_entries"("workload", "qps", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_energy_idx" ON "leaderboard_entries"("workload", "energy_per_inference_mj", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_accuracy_idx" ON "leaderboard_entries"("workload", "accuracy", "certificate_id") WHERE "revoked_at" IS NULL;
CREATE INDEX "leaderboard_entries_issued_idx" ON "leaderboard_entries"("workload", "issued_at", "certificate_id") WHERE "revoked_at" IS NULL;
