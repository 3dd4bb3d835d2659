-- Row triggers do not fire on TRUNCATE: refuse it at statement level too.
CREATE TRIGGER "transparency_log_entries_no_truncate"
  BEFORE TRUNCATE ON "transparency_log_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION "transparency_log_is_append_only"();
