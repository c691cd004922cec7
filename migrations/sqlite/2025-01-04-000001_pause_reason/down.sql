ALTER TABLE mentorships DROP COLUMN pause_reason;
