-- Documents, their Automerge changes, and the projections the console reads.
-- A document's state is its snapshot (covering change ids <= snapshot_upto) plus the
-- changes stored after it; compaction folds changes into a new snapshot.

CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL CHECK (kind IN ('session', 'goal_plan', 'journal')),
    mentorship_id TEXT REFERENCES mentorships (id),
    owner_id TEXT REFERENCES people (id),
    header TEXT NOT NULL,
    heads TEXT NOT NULL DEFAULT '',
    snapshot BYTEA,
    snapshot_upto BIGINT NOT NULL DEFAULT 0,
    last_change_id BIGINT NOT NULL DEFAULT 0,
    changes_since_snapshot INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX documents_mentorship_id ON documents (mentorship_id);
CREATE INDEX documents_owner_id ON documents (owner_id);

CREATE TABLE document_changes (
    id BIGSERIAL PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents (id),
    hash TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    device_id TEXT REFERENCES devices (id),
    person_id TEXT REFERENCES people (id),
    received_at TEXT NOT NULL,
    UNIQUE (document_id, hash)
);

CREATE TABLE session_projections (
    document_id TEXT PRIMARY KEY NOT NULL REFERENCES documents (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    mentorship_id TEXT NOT NULL REFERENCES mentorships (id),
    kind TEXT,
    session_date TEXT,
    start_time TEXT,
    duration_minutes INTEGER,
    mode TEXT,
    status TEXT NOT NULL,
    mentor_signed BOOLEAN NOT NULL DEFAULT FALSE,
    mentee_signed BOOLEAN NOT NULL DEFAULT FALSE,
    amended_after_sign_off BOOLEAN NOT NULL DEFAULT FALSE,
    amended_parts TEXT NOT NULL DEFAULT '',
    shared_summary TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX session_projections_mentorship ON session_projections (mentorship_id);

CREATE TABLE action_projections (
    document_id TEXT NOT NULL REFERENCES documents (id),
    action_id TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    mentorship_id TEXT NOT NULL REFERENCES mentorships (id),
    due_on TEXT,
    done BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (document_id, action_id)
);
CREATE INDEX action_projections_mentorship ON action_projections (mentorship_id);

CREATE TABLE goal_projections (
    document_id TEXT NOT NULL REFERENCES documents (id),
    goal_id TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    mentorship_id TEXT NOT NULL REFERENCES mentorships (id),
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    target_date TEXT,
    PRIMARY KEY (document_id, goal_id)
);
CREATE INDEX goal_projections_mentorship ON goal_projections (mentorship_id);

CREATE TABLE device_sync (
    device_id TEXT PRIMARY KEY NOT NULL REFERENCES devices (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    last_sync_at TEXT NOT NULL,
    oldest_unsynced_secs BIGINT
);
