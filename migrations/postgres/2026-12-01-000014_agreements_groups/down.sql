DROP TABLE group_session_projections;
DROP TABLE agreement_projections;
DROP INDEX documents_group;
ALTER TABLE documents DROP COLUMN group_id;
DROP TABLE peer_group_members;
DROP TABLE peer_groups;
ALTER TABLE organisations DROP COLUMN confidentiality_statement;
