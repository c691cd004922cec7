DROP TABLE concern_projections;
-- The widened CHECK on documents.kind stays: narrowing it would fail on any
-- concern already stored, and the older code never writes the new kinds.
