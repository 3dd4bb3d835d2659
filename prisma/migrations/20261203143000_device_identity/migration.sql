-- Lab-asserted device identity, and the comparison each report makes with what its agent observed.
ALTER TABLE "devices" ADD COLUMN "serial_number" TEXT;
ALTER TABLE "devices" ADD COLUMN "firmware_version" TEXT;
ALTER TABLE "devices" ADD COLUMN "driver_version" TEXT;
ALTER TABLE "reports" ADD COLUMN "device_identity" JSONB;
