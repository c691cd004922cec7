-- Issue 14: the organisation's confidentiality statement, groups and their
-- members, group documents, and the console's projections of agreements and
-- group sessions (status and counts only, never content).
ALTER TABLE organisations ADD COLUMN confidentiality_statement TEXT;

CREATE TABLE peer_groups (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    programme_id TEXT,
    facilitator_id TEXT NOT NULL REFERENCES people (id),
    created_at TEXT NOT NULL
);
CREATE INDEX peer_groups_org ON peer_groups (org_id);

CREATE TABLE peer_group_members (
    group_id TEXT NOT NULL REFERENCES peer_groups (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX peer_group_members_person ON peer_group_members (person_id);

-- Two new document kinds widen the CHECK on documents.kind, which SQLite can
-- only do by rebuilding the table. Foreign keys stay on (the migration runs in a
-- transaction): deferred, the rows that reference documents are orphaned by the
-- drop and adopted again by the re-inserted rows before the commit checks them.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE documents_before_000014 AS SELECT * FROM documents;
DROP TABLE documents;
CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL CHECK (kind IN ('session', 'goal_plan', 'journal', 'agreement', 'group_session')),
    mentorship_id TEXT REFERENCES mentorships (id),
    owner_id TEXT REFERENCES people (id),
    header TEXT NOT NULL,
    heads TEXT NOT NULL DEFAULT '',
    snapshot BLOB,
    snapshot_upto BIGINT NOT NULL DEFAULT 0,
    last_change_id BIGINT NOT NULL DEFAULT 0,
    changes_since_snapshot INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    group_id TEXT
);
INSERT INTO documents (
    id, org_id, kind, mentorship_id, owner_id, header, heads, snapshot, snapshot_upto, last_change_id,
    changes_since_snapshot, created_at, updated_at
)
SELECT
    id, org_id, kind, mentorship_id, owner_id, header, heads, snapshot, snapshot_upto, last_change_id,
    changes_since_snapshot, created_at, updated_at
FROM documents_before_000014;
DROP TABLE documents_before_000014;
CREATE INDEX documents_mentorship_id ON documents (mentorship_id);
CREATE INDEX documents_owner_id ON documents (owner_id);
CREATE INDEX documents_group ON documents (group_id);

CREATE TABLE agreement_projections (
    document_id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL,
    mentorship_id TEXT NOT NULL,
    mentor_signed BOOLEAN NOT NULL,
    mentee_signed BOOLEAN NOT NULL,
    signed_on TEXT,
    amended_after_signing BOOLEAN NOT NULL,
    review_on TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX agreement_projections_org ON agreement_projections (org_id);

CREATE TABLE group_session_projections (
    document_id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    session_date TEXT,
    attended INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX group_session_projections_group ON group_session_projections (group_id);
