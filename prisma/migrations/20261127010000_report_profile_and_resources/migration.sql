-- AlterTable
ALTER TABLE "reports" ADD COLUMN     "profile" JSONB,
ADD COLUMN     "resource_usage" JSONB;

