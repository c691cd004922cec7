-- One-time password reset codes a coordinator issues for a person who forgot
-- their password (`POST /v1/people/{id}/password-reset`, the console, or
-- `alongside user reset-password`). The code is shown once and kept only as its
-- SHA-256; it is valid for 24 hours and can be redeemed once
-- (`POST /v1/auth/password/reset`). Issuing a new code ends the person's
-- earlier unused ones.

CREATE TABLE password_resets (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    code_hash TEXT NOT NULL,
    issued_by TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX password_resets_person_id ON password_resets (person_id);
