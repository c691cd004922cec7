DROP TABLE mentor_profiles;
DROP TABLE training_records;
ALTER TABLE programmes DROP COLUMN surveys;
ALTER TABLE programmes DROP COLUMN required_training;
ALTER TABLE programmes DROP COLUMN touchpoints;
ALTER TABLE programmes DROP COLUMN kind;
