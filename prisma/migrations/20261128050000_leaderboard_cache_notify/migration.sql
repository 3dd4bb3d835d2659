-- The API caches leaderboard answers; any change to the leaderboard (a certificate issued or revoked,
-- rows loaded or removed by hand) tells every replica to drop them all ('leaderboard_entries:*').
-- Statement-level, so a bulk load sends one notification, and TRUNCATE is covered too.
CREATE FUNCTION "npubench_notify_leaderboard"() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('npubench_cache', 'leaderboard_entries:*');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "leaderboard_entries_notify_cache" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "leaderboard_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION "npubench_notify_leaderboard"();
