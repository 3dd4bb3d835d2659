-- AlterTable
ALTER TABLE "artifacts" ADD COLUMN     "pruned_at" TIMESTAMP(3);
