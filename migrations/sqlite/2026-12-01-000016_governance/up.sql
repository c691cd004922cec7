-- Governance (issue 16): a hash-chained, append-only audit trail, retention
-- settings, and tombstones of erased documents.

-- Each event carries its place in its organisation's chain (seq, from 1), the
-- hash of the organisation's previous event and its own hash. Events written
-- before this migration keep seq 0 and empty hashes: they predate the chain.
ALTER TABLE audit_events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX audit_events_org_seq ON audit_events (org_id, seq) WHERE seq > 0;
CREATE INDEX audit_events_object ON audit_events (org_id, object_id);

-- The end of each organisation's chain; its row is what writers serialise on.
CREATE TABLE audit_chain_heads (
    org_id TEXT PRIMARY KEY NOT NULL REFERENCES organisations (id),
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);

-- No code path changes an event. (Retention deletes old events; SQLite has no
-- session settings to tell a retention run apart, so deletes stay possible here;
-- the chain still shows them, see `alongside audit verify`.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE retention_settings (
    org_id TEXT PRIMARY KEY NOT NULL REFERENCES organisations (id),
    pair_document_years INTEGER NOT NULL,
    leaver_days INTEGER NOT NULL,
    audit_years INTEGER NOT NULL,
    device_inactive_days INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

-- What is left of an erased document: enough to purge it from phones and to
-- refuse its re-upload, nothing of its content.
CREATE TABLE erased_documents (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    mentorship_id TEXT,
    owner_id TEXT,
    erased_at TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX erased_documents_org_id ON erased_documents (org_id, erased_at);
