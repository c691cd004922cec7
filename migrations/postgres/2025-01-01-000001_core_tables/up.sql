-- Same shape as migrations/sqlite (a test compares them): TEXT uuids, TEXT instants
-- 'YYYY-MM-DDTHH:MM:SSZ' (UTC, fixed width, sortable as text), TEXT dates 'YYYY-MM-DD'.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE sites (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('care_home', 'community_team', 'ward')),
    created_at TEXT NOT NULL
);
CREATE INDEX sites_org_id ON sites (org_id);

CREATE TABLE people (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL UNIQUE,
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
CREATE INDEX people_org_id ON people (org_id);

CREATE TABLE programmes (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    induction_weeks INTEGER NOT NULL DEFAULT 12,
    contact_every_days INTEGER NOT NULL DEFAULT 7,
    first_contact_days INTEGER NOT NULL DEFAULT 7,
    checkin_days TEXT NOT NULL DEFAULT '30,60,90',
    max_mentees_per_mentor INTEGER NOT NULL DEFAULT 3,
    created_at TEXT NOT NULL
);
CREATE INDEX programmes_org_id ON programmes (org_id);

CREATE TABLE mentorships (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    programme_id TEXT NOT NULL REFERENCES programmes (id),
    site_id TEXT REFERENCES sites (id),
    mentor_id TEXT NOT NULL REFERENCES people (id),
    mentee_id TEXT NOT NULL REFERENCES people (id),
    status TEXT NOT NULL CHECK (status IN ('proposed', 'active', 'paused', 'completed', 'ended')),
    started_on TEXT,
    ended_on TEXT,
    end_reason TEXT,
    created_at TEXT NOT NULL,
    CHECK (mentor_id <> mentee_id)
);
CREATE INDEX mentorships_org_id ON mentorships (org_id);
CREATE INDEX mentorships_mentor_id ON mentorships (mentor_id);
CREATE INDEX mentorships_mentee_id ON mentorships (mentee_id);

CREATE TABLE devices (
    id TEXT PRIMARY KEY NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    actor_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT,
    revoked_at TEXT
);
CREATE INDEX devices_person_id ON devices (person_id);
CREATE INDEX devices_org_id ON devices (org_id);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    token_hash TEXT NOT NULL UNIQUE,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_device_id ON refresh_tokens (device_id);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    actor_person_id TEXT REFERENCES people (id),
    device_id TEXT REFERENCES devices (id),
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    event_time TEXT NOT NULL,
    server_time TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_org_id ON audit_events (org_id, server_time);
