-- Issue 15, surveys: survey responses (a new owner-only document kind) and
-- their projections: per response the pairing's organisation, programme, site
-- and start-month cohort, the respondent and their role, the survey and the
-- day it was submitted; per question the score, and the free text only when
-- the respondent shared it. The default Induction programmes get the
-- induction surveys (day 30 and day 90 for the mentee, both at close).

ALTER TABLE documents DROP CONSTRAINT documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('session', 'goal_plan', 'journal', 'agreement', 'group_session', 'survey_response'));

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
