-- What phones write about a session that the console now reports: why it was
-- cancelled or missed (an operational reason the pair gives for the coordinator),
-- and the skills practised (one row per session and skill: catalogue titles or
-- the pair's free text, the names of skills only).
--
-- `projection_versions` records which projection code last rebuilt each kind
-- of projection. No row for `session` means version 1 (before this migration):
-- at start-up the server projects every session again from its document and
-- records the version (see ARCHITECTURE.md, "What phones wrote, on the console").
ALTER TABLE session_projections ADD COLUMN status_reason TEXT;

CREATE TABLE skill_projections (
    document_id TEXT NOT NULL REFERENCES documents (id),
    skill TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    mentorship_id TEXT NOT NULL REFERENCES mentorships (id),
    PRIMARY KEY (document_id, skill)
);
CREATE INDEX skill_projections_org ON skill_projections (org_id);
CREATE INDEX skill_projections_mentorship ON skill_projections (mentorship_id);

CREATE TABLE projection_versions (
    projection TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL
);
