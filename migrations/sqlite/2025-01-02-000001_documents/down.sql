DROP TABLE device_sync;
DROP TABLE goal_projections;
DROP TABLE action_projections;
DROP TABLE session_projections;
DROP TABLE document_changes;
DROP TABLE documents;
