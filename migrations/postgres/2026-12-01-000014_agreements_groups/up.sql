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

ALTER TABLE documents DROP CONSTRAINT documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('session', 'goal_plan', 'journal', 'agreement', 'group_session'));
ALTER TABLE documents ADD COLUMN group_id TEXT;
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
