-- The canonical bundle digest and file manifest of every model (src/lib/bundles/bundle-manifest.ts).
ALTER TABLE "models" ADD COLUMN "content_digest" TEXT;
ALTER TABLE "models" ADD COLUMN "contents" JSONB;

-- A single .onnx upload is a bundle of one file named model.onnx whose digest is the upload's, so its
-- manifest can be written here; bundles stored before this migration keep null (their files would have
-- to be unpacked and hashed again).
UPDATE "models" m
SET "contents" = jsonb_build_array(jsonb_build_object('path', 'model.onnx', 'size', a."size", 'sha256', m."artifact_digest")),
    "content_digest" = encode(sha256(convert_to('npubench-bundle-manifest/v1' || chr(10) || m."artifact_digest" || ' ' || a."size"::text || ' model.onnx' || chr(10), 'UTF8')), 'hex')
FROM "artifacts" a
WHERE a."digest" = m."artifact_digest" AND m."format" = 'onnx';
