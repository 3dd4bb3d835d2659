-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "power_meter" JSONB;

