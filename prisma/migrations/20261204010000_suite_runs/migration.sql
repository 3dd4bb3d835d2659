-- Suite runs (#17 item 3): one suite x device x submitter, fanned out into ordinary jobs.
CREATE TABLE "suite_runs" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "suite_id" TEXT NOT NULL,
    "suite_digest" TEXT NOT NULL,
    "plan" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'RUNNING',
    "envelope" JSONB,
    "statement_digest" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),
    CONSTRAINT "suite_runs_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "suite_runs_org_id_created_at_idx" ON "suite_runs"("org_id", "created_at");
ALTER TABLE "suite_runs" ADD CONSTRAINT "suite_runs_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "suite_runs" ADD CONSTRAINT "suite_runs_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "jobs" ADD COLUMN "suite_run_id" UUID;
ALTER TABLE "jobs" ADD COLUMN "suite_entry" TEXT;
CREATE INDEX "jobs_suite_run_id_idx" ON "jobs"("suite_run_id");
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_suite_run_id_fkey" FOREIGN KEY ("suite_run_id") REFERENCES "suite_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
