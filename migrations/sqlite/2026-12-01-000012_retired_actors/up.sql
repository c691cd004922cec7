-- Actors a device wrote under before the server issued it a fresh one (its store
-- was restored from an older copy and reused sequence numbers). Tokens issued
-- for a retired actor stay valid, and changes written under it are still the
-- device's own.
CREATE TABLE retired_actors (
    actor_id TEXT PRIMARY KEY NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices(id),
    retired_at TEXT NOT NULL
);
CREATE INDEX retired_actors_by_device ON retired_actors (device_id);
