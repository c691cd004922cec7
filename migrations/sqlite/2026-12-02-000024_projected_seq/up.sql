-- Per document: the last number (as `change_seq`) whose transaction changed its
-- projection, what the console and the reminders read of it. A sync reply says
-- whether any document the phone may read had its projection changed after the
-- phone's cursor, so a phone whose sync moved only notes does not fetch its
-- reminders again (issue 12). Existing rows start at their `change_seq`, which
-- a cursor issued before this migration may not have seen: such a phone fetches
-- once more than it needed to, never once less.
ALTER TABLE document_positions ADD COLUMN projected_seq BIGINT NOT NULL DEFAULT 0;
UPDATE document_positions SET projected_seq = change_seq;
