DROP INDEX device_sync_org;
DROP INDEX goal_projections_org;
DROP INDEX action_projections_org;
DROP INDEX session_projections_org;
DROP TABLE console_sessions;
