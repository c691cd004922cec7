DROP TABLE erased_documents;
DROP TABLE retention_settings;
DROP TRIGGER audit_events_no_update;
DROP TABLE audit_chain_heads;
DROP INDEX audit_events_object;
DROP INDEX audit_events_org_seq;
ALTER TABLE audit_events DROP COLUMN hash;
ALTER TABLE audit_events DROP COLUMN prev_hash;
ALTER TABLE audit_events DROP COLUMN seq;
