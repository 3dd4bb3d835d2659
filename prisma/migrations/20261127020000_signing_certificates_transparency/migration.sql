-- AlterTable
ALTER TABLE "reports" ADD COLUMN     "envelope" JSONB,
ADD COLUMN     "statement_digest" TEXT;

-- CreateTable
CREATE TABLE "signing_keys" (
    "kid" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retired_at" TIMESTAMP(3),

    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("kid")
);

-- CreateTable
CREATE TABLE "certification_profiles" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "rules" JSONB NOT NULL,
    "validity_days" INTEGER NOT NULL,
    "auto_issue" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "certification_profiles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "certificates" (
    "id" UUID NOT NULL,
    "report_id" UUID NOT NULL,
    "profile_id" TEXT NOT NULL,
    "org_id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "evaluation" JSONB NOT NULL,
    "key_figures" JSONB NOT NULL,
    "issued_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "envelope" JSONB NOT NULL,
    "log_index" INTEGER NOT NULL,
    "issued_by_key_id" UUID,
    "revoked_at" TIMESTAMP(3),
    "revocation_reason" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "certificates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transparency_log_entries" (
    "index" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "certificate_id" UUID NOT NULL,
    "leaf" BYTEA NOT NULL,
    "leaf_hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "transparency_log_entries_pkey" PRIMARY KEY ("index")
);

-- CreateTable
CREATE TABLE "tree_heads" (
    "tree_size" INTEGER NOT NULL,
    "root_hash" TEXT NOT NULL,
    "envelope" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tree_heads_pkey" PRIMARY KEY ("tree_size")
);

-- CreateIndex
CREATE UNIQUE INDEX "certification_profiles_name_version_key" ON "certification_profiles"("name", "version");

-- CreateIndex
CREATE UNIQUE INDEX "certificates_log_index_key" ON "certificates"("log_index");

-- CreateIndex
CREATE INDEX "certificates_org_id_idx" ON "certificates"("org_id");

-- CreateIndex
CREATE UNIQUE INDEX "certificates_report_id_profile_id_key" ON "certificates"("report_id", "profile_id");

-- CreateIndex
CREATE INDEX "transparency_log_entries_certificate_id_idx" ON "transparency_log_entries"("certificate_id");

-- AddForeignKey
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_report_id_fkey" FOREIGN KEY ("report_id") REFERENCES "reports"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "certification_profiles"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- The transparency log is append-only: refuse updates and deletes at the database too. (Someone with
-- enough rights can drop this trigger; the signed tree heads still expose any rewrite.)
CREATE FUNCTION "transparency_log_is_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'transparency_log_entries is append-only';
END;
$$;
CREATE TRIGGER "transparency_log_entries_append_only"
  BEFORE UPDATE OR DELETE ON "transparency_log_entries"
  FOR EACH ROW EXECUTE FUNCTION "transparency_log_is_append_only"();
