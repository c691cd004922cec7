-- The token check's cache (`db::auth_cache`) across processes: every change
-- to what the check decides (a device revoked, a sign-out, a person
-- deactivated or given other roles...) adds one to this number in its own
-- transaction, and a sync reads it in its snapshot, so a cached device row
-- read before such a change, in this process or any other (the CLI on SQLite,
-- another server on PostgreSQL), is noticed before the sync reads or writes
-- anything.
ALTER TABLE sync_epoch ADD COLUMN auth_generation BIGINT NOT NULL DEFAULT 0;
