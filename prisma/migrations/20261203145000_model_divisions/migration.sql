-- Divisions (#17): a model's declared lineage and the division it falls in. Models stored before are open.
ALTER TABLE "models" ADD COLUMN "variant_of" TEXT;
ALTER TABLE "models" ADD COLUMN "variant_technique" TEXT;
ALTER TABLE "models" ADD COLUMN "division" TEXT NOT NULL DEFAULT 'open';
ALTER TABLE "models" ADD COLUMN "suite_workload" TEXT;
