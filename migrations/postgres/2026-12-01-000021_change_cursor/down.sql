DROP INDEX document_changes_unstamped;
ALTER TABLE document_changes DROP COLUMN seq;
DROP TABLE document_positions;
DROP TABLE sync_counters;
DROP TABLE sync_epoch;
