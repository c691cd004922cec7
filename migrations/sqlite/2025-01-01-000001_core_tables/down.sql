DROP TABLE audit_events;
DROP TABLE refresh_tokens;
DROP TABLE devices;
DROP TABLE mentorships;
DROP TABLE programmes;
DROP TABLE people;
DROP TABLE sites;
DROP TABLE organisations;
