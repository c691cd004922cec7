-- Emails are unique per organisation, not across the database: one address may
-- hold accounts in several organisations, and adding a person no longer tells a
-- coordinator that the address is registered elsewhere. Login looks every
-- account of an email up, hence the plain index on email.
--
-- The old UNIQUE was declared on the column, which SQLite can only undo by
-- rebuilding the table. Foreign keys stay on (the migration runs in a
-- transaction): deferred, the rows that reference people are orphaned by the
-- drop and adopted again by the re-inserted rows before the commit checks them.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE people_before_000023 AS SELECT * FROM people;
DROP TABLE people;
CREATE TABLE people (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    is_mentee BOOLEAN NOT NULL DEFAULT FALSE,
    is_mentor BOOLEAN NOT NULL DEFAULT FALSE,
    is_coordinator BOOLEAN NOT NULL DEFAULT FALSE,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    line_manager_id TEXT REFERENCES people (id),
    site_id TEXT REFERENCES sites (id),
    start_date TEXT,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deactivated_at TEXT
);
INSERT INTO people (
    id, org_id, email, display_name, is_mentee, is_mentor, is_coordinator, is_admin, line_manager_id, site_id,
    start_date, password_hash, created_at, deactivated_at
)
SELECT
    id, org_id, email, display_name, is_mentee, is_mentor, is_coordinator, is_admin, line_manager_id, site_id,
    start_date, password_hash, created_at, deactivated_at
FROM people_before_000023;
DROP TABLE people_before_000023;
CREATE INDEX people_org_id ON people (org_id);
CREATE UNIQUE INDEX people_org_email ON people (org_id, email);
CREATE INDEX people_email ON people (email);
