ALTER TABLE document_positions DROP COLUMN projected_seq;
