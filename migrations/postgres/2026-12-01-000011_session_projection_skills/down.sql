DROP TABLE projection_versions;
DROP TABLE skill_projections;
ALTER TABLE session_projections DROP COLUMN status_reason;
