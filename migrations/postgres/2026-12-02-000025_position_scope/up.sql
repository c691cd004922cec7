-- Per document position, the scope its readers are found by (copied from
-- `documents`, which never changes it), so the change cursor's read finds the
-- documents of a person's pairings, groups and own that changed after a cursor
-- through these indexes: its cost follows what changed, not how many
-- documents the person holds (issue 12). Partial, so a position's update
-- touches only the index of the scope it has.
ALTER TABLE document_positions ADD COLUMN mentorship_id TEXT;
ALTER TABLE document_positions ADD COLUMN owner_id TEXT;
ALTER TABLE document_positions ADD COLUMN group_id TEXT;
UPDATE document_positions p SET mentorship_id = d.mentorship_id, owner_id = d.owner_id, group_id = d.group_id
    FROM documents d WHERE d.id = p.document_id;
CREATE INDEX document_positions_by_mentorship ON document_positions (mentorship_id, change_seq)
    WHERE mentorship_id IS NOT NULL;
CREATE INDEX document_positions_by_owner ON document_positions (owner_id, change_seq)
    WHERE owner_id IS NOT NULL;
CREATE INDEX document_positions_by_group ON document_positions (group_id, change_seq)
    WHERE group_id IS NOT NULL;
-- Walked by nothing since: the organisation-wide walk it served was the cost
-- the scoped indexes remove.
DROP INDEX document_positions_by_seq;
