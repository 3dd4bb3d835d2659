-- Tree heads become C2SP checkpoints signed by the log's own key (docs/certification.md). The DSSE heads
-- signed by the report key are dropped; each stored root is re-signed as a checkpoint the first time its
-- size is asked for (src/services/transparency/transparency-log.ts, findTreeHead), so the roots already
-- published stay the commitments.
ALTER TABLE "tree_heads" ADD COLUMN "checkpoint" TEXT;
ALTER TABLE "tree_heads" DROP COLUMN "envelope";
