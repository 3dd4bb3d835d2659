-- In-process caches of the API (authenticated API keys and agent tokens, serialised reports) are invalidated by
-- notifications on the channel "npubench_cache" ('<table>:<id>'). Triggers rather than application
-- code send them, so every change reaches every replica, whichever code path or tool made it.
CREATE FUNCTION "npubench_notify_cache"() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('npubench_cache', TG_TABLE_NAME || ':' || OLD.id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "api_keys_notify_cache" AFTER UPDATE OR DELETE ON "api_keys"
  FOR EACH ROW EXECUTE FUNCTION "npubench_notify_cache"();
-- Heartbeats update agents every few seconds; only the credential and revocation matter here.
CREATE TRIGGER "agents_notify_cache" AFTER UPDATE OF "token_prefix", "token_hash", "revoked_at" OR DELETE ON "agents"
  FOR EACH ROW EXECUTE FUNCTION "npubench_notify_cache"();
CREATE TRIGGER "reports_notify_cache" AFTER UPDATE OR DELETE ON "reports"
  FOR EACH ROW EXECUTE FUNCTION "npubench_notify_cache"();
-- A report's answer shows its device's and model's names, and its job's suite.
CREATE TRIGGER "devices_notify_cache" AFTER UPDATE OR DELETE ON "devices"
  FOR EACH ROW EXECUTE FUNCTION "npubench_notify_cache"();
CREATE TRIGGER "models_notify_cache" AFTER UPDATE OR DELETE ON "models"
  FOR EACH ROW EXECUTE FUNCTION "npubench_notify_cache"();
-- Jobs change on every progress report; only a change of the suite matters to a cached report.
CREATE TRIGGER "jobs_notify_cache" AFTER UPDATE OF "suite" OR DELETE ON "jobs"
  FOR EACH ROW EXECUTE FUNCTION "npubench_notify_cache"();
-- TRUNCATE fires no row triggers: tell the caches to drop everything.
CREATE FUNCTION "npubench_notify_cache_truncate"() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('npubench_cache', TG_TABLE_NAME || ':*');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER "api_keys_notify_cache_truncate" AFTER TRUNCATE ON "api_keys"
  FOR EACH STATEMENT EXECUTE FUNCTION "npubench_notify_cache_truncate"();
CREATE TRIGGER "agents_notify_cache_truncate" AFTER TRUNCATE ON "agents"
  FOR EACH STATEMENT EXECUTE FUNCTION "npubench_notify_cache_truncate"();
CREATE TRIGGER "reports_notify_cache_truncate" AFTER TRUNCATE ON "reports"
  FOR EACH STATEMENT EXECUTE FUNCTION "npubench_notify_cache_truncate"();
