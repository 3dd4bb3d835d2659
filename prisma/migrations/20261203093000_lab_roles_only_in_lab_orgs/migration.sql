-- Certifier and admin keys belong only to lab organizations (#15 item 3): a vendor holding one could
-- publish its own profile and certify itself. Such keys made before this migration are revoked; the
-- triggers then hold the rule for every writer (API, scripts, psql), not only for createApiKey.
UPDATE "api_keys" AS k SET "revoked_at" = CURRENT_TIMESTAMP
  FROM "organizations" AS o
  WHERE o."id" = k."org_id" AND o."kind" <> 'LAB' AND k."role" IN ('ADMIN', 'CERTIFIER') AND k."revoked_at" IS NULL;

CREATE FUNCTION "npubench_lab_roles_in_lab_orgs"() RETURNS trigger AS $$
BEGIN
  IF NEW."role" IN ('ADMIN', 'CERTIFIER') AND NEW."revoked_at" IS NULL
     AND (SELECT "kind" FROM "organizations" WHERE "id" = NEW."org_id") IS DISTINCT FROM 'LAB' THEN
    RAISE EXCEPTION 'a % key can only belong to a lab organization', NEW."role" USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "api_keys_lab_roles_in_lab_orgs" BEFORE INSERT OR UPDATE OF "role", "org_id", "revoked_at" ON "api_keys"
  FOR EACH ROW EXECUTE FUNCTION "npubench_lab_roles_in_lab_orgs"();

-- A lab organization with live certifier or admin keys cannot become a vendor organization.
CREATE FUNCTION "npubench_lab_org_keeps_kind"() RETURNS trigger AS $$
BEGIN
  IF NEW."kind" <> 'LAB' AND EXISTS (
    SELECT 1 FROM "api_keys" WHERE "org_id" = NEW."id" AND "role" IN ('ADMIN', 'CERTIFIER') AND "revoked_at" IS NULL
  ) THEN
    RAISE EXCEPTION 'organization % holds certifier or admin keys and must stay a lab organization', NEW."slug" USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "organizations_lab_org_keeps_kind" BEFORE UPDATE OF "kind" ON "organizations"
  FOR EACH ROW EXECUTE FUNCTION "npubench_lab_org_keeps_kind"();
