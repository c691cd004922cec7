-- The change cursor (issue 12). Every sync write transaction that stores
-- changes takes the next sequence number of its organisation from
-- `sync_counters` (the row stays locked until the commit, so numbers are taken
-- in commit order) and stamps it on the documents and changes it stored. A
-- phone's cursor names the number it has seen up to, and this database
-- (`sync_epoch`): a cursor from another database or from before a restore
-- (give the database a new epoch after restoring) is not recognised.
CREATE TABLE sync_epoch (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    epoch TEXT NOT NULL
);
INSERT INTO sync_epoch (id, epoch) VALUES (1, md5(random()::text || clock_timestamp()::text));
CREATE TABLE sync_counters (
    org_id TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL
);
-- Per document: the last number that changed it, the first (when it was first
-- stored) and the highest of the changes folded into its snapshot.
CREATE TABLE document_positions (
    document_id TEXT PRIMARY KEY NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    org_id TEXT NOT NULL,
    change_seq BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    compacted_seq BIGINT NOT NULL
);
INSERT INTO document_positions (document_id, org_id, change_seq, first_seq, compacted_seq)
    SELECT id, org_id, 0, 0, 0 FROM documents;
CREATE INDEX document_positions_by_seq ON document_positions (org_id, change_seq);
-- NULL until the transaction that stored the change stamps it.
ALTER TABLE document_changes ADD COLUMN seq BIGINT;
UPDATE document_changes SET seq = 0;
-- The changes a transaction has yet to stamp.
CREATE INDEX document_changes_unstamped ON document_changes (document_id) WHERE seq IS NULL;
