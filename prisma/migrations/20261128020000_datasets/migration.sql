-- CreateTable
CREATE TABLE "datasets" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "artifact_digest" TEXT NOT NULL,
    "subjects" JSONB NOT NULL,
    "question_count" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "datasets_org_id_artifact_digest_idx" ON "datasets"("org_id", "artifact_digest");

-- CreateIndex
CREATE UNIQUE INDEX "datasets_org_id_name_key" ON "datasets"("org_id", "name");

-- AddForeignKey
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_artifact_digest_fkey" FOREIGN KEY ("artifact_digest") REFERENCES "artifacts"("digest") ON DELETE RESTRICT ON UPDATE CASCADE;

