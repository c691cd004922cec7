CREATE INDEX document_positions_by_seq ON document_positions (org_id, change_seq);
DROP INDEX document_positions_by_group;
DROP INDEX document_positions_by_owner;
DROP INDEX document_positions_by_mentorship;
ALTER TABLE document_positions DROP COLUMN group_id;
ALTER TABLE document_positions DROP COLUMN owner_id;
ALTER TABLE document_positions DROP COLUMN mentorship_id;
