-- Back to one account per email across the database (fails if an email now has
-- accounts in several organisations).
DROP INDEX people_email;
DROP INDEX people_org_email;
CREATE UNIQUE INDEX people_email_unique ON people (email);
