-- Signing keys get lifetimes (#15 item 2): a key signs only inside [not_before, retired_at), and what it
-- signed at or after compromised_at is void. Keys registered before this signed nothing before they were
-- registered, so their window starts at created_at.
ALTER TABLE "signing_keys" ADD COLUMN "not_before" TIMESTAMP(3);
UPDATE "signing_keys" SET "not_before" = "created_at";
ALTER TABLE "signing_keys" ALTER COLUMN "not_before" SET NOT NULL, ALTER COLUMN "not_before" SET DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "signing_keys" ADD COLUMN "compromised_at" TIMESTAMP(3);
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_status_check" CHECK ("status" IN ('active', 'retired', 'compromised'));
-- Only an active key is unretired, and a compromised key is retired too.
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_window_check" CHECK (("status" = 'active') = ("retired_at" IS NULL) AND ("status" = 'compromised') = ("compromised_at" IS NOT NULL));
-- At most one key signs at a time, whichever process rotates.
CREATE UNIQUE INDEX "signing_keys_one_active" ON "signing_keys" ((true)) WHERE "status" = 'active';
