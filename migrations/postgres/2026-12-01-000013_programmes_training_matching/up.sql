-- Programmes as first-class schemes (issue 14): a kind, their own touchpoints,
-- the training a mentor must hold and the surveys they run, kept as JSON text
-- (both backends read and write them the same way). `touchpoints` NULL means a
-- programme from before this migration: its touchpoints are derived from
-- `first_contact_days` and `checkin_days` as they always were.
ALTER TABLE programmes ADD COLUMN kind TEXT NOT NULL DEFAULT 'formal';
ALTER TABLE programmes ADD COLUMN touchpoints TEXT;
ALTER TABLE programmes ADD COLUMN required_training TEXT NOT NULL DEFAULT '[]';
ALTER TABLE programmes ADD COLUMN surveys TEXT NOT NULL DEFAULT '[]';

-- Courses a person has completed. A mentor is approved for a programme when
-- they hold every course it requires, unexpired on the day.
CREATE TABLE training_records (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    course TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    expires_on TEXT,
    evidence TEXT NOT NULL DEFAULT '',
    recorded_by TEXT REFERENCES people (id),
    created_at TEXT NOT NULL
);
CREATE INDEX training_records_person ON training_records (person_id);
CREATE INDEX training_records_org ON training_records (org_id);

-- A mentor's profile for matching, beside the person rather than in `people`:
-- capacity (most mentees at once; NULL: the programme's figure), languages and
-- specialisms (JSON lists) and shift pattern.
CREATE TABLE mentor_profiles (
    person_id TEXT PRIMARY KEY NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    capacity INTEGER,
    languages TEXT NOT NULL DEFAULT '[]',
    shift_pattern TEXT,
    specialisms TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL
);
CREATE INDEX mentor_profiles_org ON mentor_profiles (org_id);
