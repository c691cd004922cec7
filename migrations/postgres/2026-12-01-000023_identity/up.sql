-- Emails are unique per organisation, not across the database: one address may
-- hold accounts in several organisations, and adding a person no longer tells a
-- coordinator that the address is registered elsewhere. Login looks every
-- account of an email up, hence the plain index on email.
ALTER TABLE people DROP CONSTRAINT people_email_key;
CREATE UNIQUE INDEX people_org_email ON people (org_id, email);
CREATE INDEX people_email ON people (email);
