-- People leave (issue 15): the day a deactivated person left and why, beside
-- the person rather than in `people` (which stays within diesel's 16 columns
-- with room for others). One row per person while they are deactivated:
-- reactivation deletes it (the audit trail keeps every departure's day and
-- reason). `leaving_reason` is resigned | dismissed | end_of_contract |
-- retired | other, or NULL when the deactivation gave none.
CREATE TABLE person_departures (
    person_id TEXT PRIMARY KEY NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    left_on TEXT NOT NULL,
    leaving_reason TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX person_departures_org ON person_departures (org_id);
