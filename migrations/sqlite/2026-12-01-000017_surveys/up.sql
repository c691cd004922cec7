-- Issue 15, surveys: survey responses (a new owner-only document kind) and
-- their projections: per response the pairing's organisation, programme, site
-- and start-month cohort, the respondent and their role, the survey and the
-- day it was submitted; per question the score, and the free text only when
-- the respondent shared it. The default Induction programmes get the
-- induction surveys (day 30 and day 90 for the mentee, both at close).

-- A new document kind widens the CHECK on documents.kind: SQLite rebuilds the
-- table (as in 000014; foreign keys deferred until the commit).
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE documents_before_000017 AS SELECT * FROM documents;
DROP TABLE documents;
CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL CHECK (kind IN ('session', 'goal_plan', 'journal', 'agreement', 'group_session', 'survey_response')),
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
FROM documents_before_000017;
DROP TABLE documents_before_000017;
CREATE INDEX documents_mentorship_id ON documents (mentorship_id);
CREATE INDEX documents_owner_id ON documents (owner_id);
CREATE INDEX documents_group ON documents (group_id);

CREATE TABLE survey_responses (
    document_id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL,
    mentorship_id TEXT NOT NULL,
    programme_id TEXT NOT NULL,
    site_id TEXT,
    respondent_id TEXT NOT NULL,
    respondent_role TEXT NOT NULL,
    survey_key TEXT NOT NULL,
    submitted_on TEXT NOT NULL,
    cohort_month TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX survey_responses_org ON survey_responses (org_id, programme_id);
CREATE INDEX survey_responses_respondent ON survey_responses (respondent_id);

CREATE TABLE survey_answers (
    document_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    score INTEGER,
    shared_text TEXT,
    PRIMARY KEY (document_id, question_id)
);

UPDATE programmes SET surveys = '[{"key":"day_30","title":"Your first month","respondent":"mentee","when":{"after_days":30},"questions":[{"id":"confidence","text":"How confident do you feel in your role?","kind":"scale"},{"id":"support","text":"How well supported do you feel by the mentoring?","kind":"scale"},{"id":"availability","text":"Has your mentor been available when you needed them?","kind":"scale"},{"id":"stay","text":"How likely are you to stay in this job for the next 12 months?","kind":"scale"},{"id":"match","text":"How well does the match with your mentor suit you?","kind":"scale"},{"id":"comment","text":"Anything else you would like to tell us? (optional)","kind":"text"}]},{"key":"day_90","title":"Your first three months","respondent":"mentee","when":{"after_days":90},"questions":[{"id":"confidence","text":"How confident do you feel in your role?","kind":"scale"},{"id":"support","text":"How well supported do you feel by the mentoring?","kind":"scale"},{"id":"availability","text":"Has your mentor been available when you needed them?","kind":"scale"},{"id":"stay","text":"How likely are you to stay in this job for the next 12 months?","kind":"scale"},{"id":"match","text":"How well does the match with your mentor suit you?","kind":"scale"},{"id":"comment","text":"Anything else you would like to tell us? (optional)","kind":"text"}]},{"key":"close","title":"Looking back on the mentoring","respondent":"both","when":"close","questions":[{"id":"confidence","text":"How confident do you feel in your role?","kind":"scale"},{"id":"support","text":"How well supported do you feel by the mentoring?","kind":"scale"},{"id":"availability","text":"Were you and your mentoring partner available to each other when needed?","kind":"scale"},{"id":"stay","text":"How likely are you to stay in this job for the next 12 months?","kind":"scale"},{"id":"match","text":"How well did the match suit you?","kind":"scale"},{"id":"comment","text":"Anything else you would like to tell us? (optional)","kind":"text"}]}]' WHERE name = 'Induction' AND surveys = '[]';
