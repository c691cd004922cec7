ALTER TABLE devices DROP COLUMN session_epoch;
