-- Issue 15: concerns. A new document kind widens the CHECK on documents.kind
-- (with `survey_response`, the other kind issue 15 adds, so whichever of the
-- two migrations runs last leaves both allowed).
ALTER TABLE documents DROP CONSTRAINT documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('session', 'goal_plan', 'journal', 'agreement', 'group_session', 'survey_response', 'concern'));

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
