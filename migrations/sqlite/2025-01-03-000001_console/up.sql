-- The manager console's sign-in sessions, and indexes for its organisation-wide
-- reads of the projection tables.
--
-- A console session is identified by a random token kept only in the browser's
-- cookie; the server stores its SHA-256 (`id`), so a copy of this table cannot be
-- replayed as a cookie. Signing out sets `revoked_at`; expired and revoked rows are
-- deleted when the same person signs in again.

CREATE TABLE console_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX console_sessions_person_id ON console_sessions (person_id);

CREATE INDEX session_projections_org ON session_projections (org_id, session_date);
CREATE INDEX action_projections_org ON action_projections (org_id);
CREATE INDEX goal_projections_org ON goal_projections (org_id);
CREATE INDEX device_sync_org ON device_sync (org_id);
