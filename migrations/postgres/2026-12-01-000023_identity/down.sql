DROP INDEX people_email;
DROP INDEX people_org_email;
ALTER TABLE people ADD CONSTRAINT people_email_key UNIQUE (email);
