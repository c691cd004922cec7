-- Issue 15: concerns. A new document kind widens the CHECK on documents.kind
-- (with `survey_response`, the other kind issue 15 adds, so whichever of the
-- two migrations runs last leaves both allowed). SQLite can only do that by
-- rebuilding the table, as 2026-12-01-000014 did.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE documents_before_000018 AS SELECT * FROM documents;
DROP TABLE documents;
CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL CHECK (
        kind IN ('session', 'goal_plan', 'journal', 'agreement', 'group_session', 'survey_response', 'concern')
    ),
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
    changes_since_snapshot, created_at, updated_at, group_id
)
SELECT
    id, org_id, kind, mentorship_id, owner_id, header, heads, snapshot, snapshot_upto, last_change_id,
    changes_since_snapshot, created_at, updated_at, group_id
FROM documents_before_000018;
DROP TABLE documents_before_000018;
CREATE INDEX documents_mentorship_id ON documents (mentorship_id);
CREATE INDEX documents_owner_id ON documents (owner_id);
CREATE INDEX documents_group ON documents (group_id);

-- What the console and the reports may know of a concern without reading it:
-- who raised it about which pairing, its kind and where it stands. The text
-- stays in the document. Times are the server's: raised_at is when the
-- organisation first received it.
CREATE TABLE concern_projections (
    document_id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL,
    mentorship_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'closed')),
    raised_at TEXT NOT NULL,
    acknowledged_at TEXT,
    closed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX concern_projections_org ON concern_projections (org_id, status);
CREATE INDEX concern_projections_author ON concern_projections (author_id);
