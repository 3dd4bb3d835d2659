-- Smoke-test and demo certificates prove the pipeline, not the device: the public leaderboard hides
-- them unless asked (docs/dashboard.md). A row is one when its profile is smoke-latency, its run used
-- the smoke preset, or it is the first-start sample benchmark (src/services/bootstrap/sample-model.ts).
ALTER TABLE "leaderboard_entries" ADD COLUMN "demo" BOOLEAN NOT NULL DEFAULT false;

UPDATE "leaderboard_entries" e SET "demo" = true
FROM "reports" r
WHERE r."id" = e."report_id"
  AND (e."profile_id" LIKE 'smoke-latency@%' OR 'smoke' IN (r."summary"->'spec'->>'preset', r."summary"->'spec'->>'basedOn') OR e."model_name" = 'sample-ppocr-mobile-v2-cls');

-- Few rows are demos: counting the hidden ones for the dashboard's switch reads only these.
CREATE INDEX "leaderboard_entries_demo_idx" ON "leaderboard_entries"("certificate_id") WHERE "demo" AND "revoked_at" IS NULL;
