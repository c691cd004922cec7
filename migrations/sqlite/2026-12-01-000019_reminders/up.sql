-- Reminders (issue 15): when each organisation's weekly digest was last sent.
-- A process sends only after moving `last_sent_at` from the value it read to
-- now (a conditional update), so several processes and restarts send once a week.
CREATE TABLE digest_sends (
    org_id TEXT PRIMARY KEY NOT NULL REFERENCES organisations (id),
    last_sent_at TEXT
);
